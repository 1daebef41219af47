import CHDF5
import ProbityCore

extension HDF5File {
    /// What a dataset holds: its element kind, its current shape and its maximum shape
    /// (`nil` per axis for unlimited).
    public struct DatasetInfo: Sendable, Equatable {
        public var kind: HDF5ElementKind
        public var shape: [Int]
        public var maxShape: [Int?]
        public var chunks: [Int]?
        public var rank: Int { shape.count }
    }

    /// Opens a dataset, runs `body` with its id, closes it.
    func withDataset<T>(_ dataset: String, _ body: (hid_t) throws -> T) throws -> T {
        try locked {
            guard exists(dataset) else { throw ProbityError.badInput(file: path, location: dataset, problem: "missing dataset") }
            let d = H5Dopen2(id, dataset, probity_h5p_default())
            if d < 0 { throw fail(dataset, "not a dataset") }
            defer { H5Dclose(d) }
            return try body(d)
        }
    }

    /// Extents past `Int.max` (a damaged file can declare up to 2⁶⁴ − 1) read as `Int.max`, which
    /// every size check then refuses; a space libhdf5 cannot read has rank 0 (found by `make fuzz`).
    static func dims(of space: hid_t) -> (shape: [Int], max: [Int?]) {
        let rank = Swift.max(Int(H5Sget_simple_extent_ndims(space)), 0)
        var dims = [hsize_t](repeating: 0, count: Swift.max(rank, 1))
        var maxDims = [hsize_t](repeating: 0, count: Swift.max(rank, 1))
        H5Sget_simple_extent_dims(space, &dims, &maxDims)
        let unlimited = probity_h5s_unlimited()
        return (dims.prefix(rank).map { Int(exactly: $0) ?? Int.max }, maxDims.prefix(rank).map { $0 == unlimited ? nil : Int(exactly: $0) ?? Int.max })
    }

    /// The kind and shape of the dataset at `dataset`.
    public func info(_ dataset: String) throws -> DatasetInfo {
        try withDataset(dataset) { d in
            let type = H5Dget_type(d); defer { H5Tclose(type) }
            let space = H5Dget_space(d); defer { H5Sclose(space) }
            let (shape, maxShape) = HDF5File.dims(of: space)
            let plist = H5Dget_create_plist(d); defer { H5Pclose(plist) }
            var chunks: [Int]? = nil
            if H5Pget_layout(plist) == H5D_CHUNKED {
                var c = [hsize_t](repeating: 0, count: Swift.max(shape.count, 1))
                H5Pget_chunk(plist, Int32(c.count), &c)
                chunks = c.prefix(shape.count).map { Int(exactly: $0) ?? Int.max }
            }
            return DatasetInfo(kind: HDF5ElementKind(type: type), shape: shape, maxShape: maxShape, chunks: chunks)
        }
    }

    /// The most bytes one read allocates (256 MiB: 32 million labels; images and maps are read
    /// by sample rows). A file can declare any size in a few bytes (a chunked dataset that
    /// holds no data); reads past this are refused, naming the dataset, instead of the process
    /// allocating gigabytes or aborting on the allocation (`make fuzz` found both).
    public static let maxReadBytes = 1 << 28

    /// Throws unless `count` values of `T` fit under `maxReadBytes` (nil: the count overflowed).
    func checkReadSize<T>(_ count: Int?, of type: T.Type, _ dataset: String) throws {
        let bytes = count.flatMap { c -> Int? in
            let (b, overflow) = c.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
            return overflow || c < 0 ? nil : b
        }
        guard let bytes, bytes <= HDF5File.maxReadBytes else {
            throw ProbityError.badInput(file: path, location: dataset, problem: "declares \(count.map(String.init) ?? "more than 2⁶³") values, more than the \(HDF5File.maxReadBytes >> 20) MiB Probity reads at once (a damaged or hostile file?)")
        }
    }

    /// The product of `extents`, or nil when it overflows.
    static func product(_ extents: some Sequence<Int>) -> Int? {
        var n = 1
        for e in extents {
            let (p, overflow) = n.multipliedReportingOverflow(by: e)
            if overflow || e < 0 { return nil }
            n = p
        }
        return n
    }

    /// The whole dataset, converted to `T` by HDF5.
    public func read<T: HDF5Scalar>(_ dataset: String, as type: T.Type = T.self) throws -> [T] {
        try withDataset(dataset) { d in
            let space = H5Dget_space(d); defer { H5Sclose(space) }
            let n = Int(H5Sget_simple_extent_npoints(space))
            try checkReadSize(n, of: T.self, dataset)
            var out = [T](repeating: T.zero, count: n)
            if n == 0 { return out }
            let status = out.withUnsafeMutableBytes { H5Dread(d, T.nativeType, probity_h5s_all(), probity_h5s_all(), probity_h5p_default(), $0.baseAddress) }
            if status < 0 { throw fail(dataset, "cannot read as \(T.self)") }
            return out
        }
    }

    /// Items `rows` of the first axis (a hyperslab): reads only those rows from disk.
    public func read<T: HDF5Scalar>(_ dataset: String, rows: Range<Int>, as type: T.Type = T.self) throws -> [T] {
        try withDataset(dataset) { d in
            let space = H5Dget_space(d); defer { H5Sclose(space) }
            let (shape, _) = HDF5File.dims(of: space)
            guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
                throw ProbityError.badInput(file: path, location: dataset, problem: "rows \(rows) out of range for shape \(shape)")
            }
            let total = HDF5File.product(shape.dropFirst()).flatMap { HDF5File.product([$0, rows.count]) }
            try checkReadSize(total, of: T.self, dataset)
            var out = [T](repeating: T.zero, count: total!)
            if out.isEmpty { return out }
            var start = [hsize_t](repeating: 0, count: shape.count)
            var count = shape.map { hsize_t($0) }
            start[0] = hsize_t(rows.lowerBound)
            count[0] = hsize_t(rows.count)
            H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nil, count, nil)
            let memSpace = H5Screate_simple(Int32(count.count), count, nil); defer { H5Sclose(memSpace) }
            let status = out.withUnsafeMutableBytes { H5Dread(d, T.nativeType, memSpace, space, probity_h5p_default(), $0.baseAddress) }
            if status < 0 { throw fail(dataset, "cannot read rows \(rows) as \(T.self)") }
            return out
        }
    }

    /// Creates a dataset of `shape` (replacing any at that path). With `chunks`, the dataset is
    /// chunked and its first axis may be `growable` (unlimited) for `append`. Optional gzip.
    public func create<T: HDF5Scalar>(_ dataset: String, of type: T.Type, shape: [Int], chunks: [Int]? = nil,
                                      growable: Bool = false, compression: Int? = nil, fill: T? = nil) throws {
        try locked {
            try remove(dataset)
            let dims = shape.map { hsize_t($0) }
            var maxDims = dims
            if growable { maxDims[0] = probity_h5s_unlimited() }
            let space = H5Screate_simple(Int32(dims.count), dims, maxDims); defer { H5Sclose(space) }
            let dcpl = H5Pcreate(probity_h5p_dataset_create()); defer { H5Pclose(dcpl) }
            var chunking = chunks
            if chunking == nil && (growable || compression != nil) {
                chunking = [1] + shape.dropFirst().map { Swift.max($0, 1) }
            }
            if let chunking {
                let c = zip(chunking, shape).map { hsize_t(Swift.max(1, growable ? $0.0 : Swift.min($0.0, Swift.max($0.1, 1)))) }
                H5Pset_chunk(dcpl, Int32(c.count), c)
                if let level = compression { H5Pset_deflate(dcpl, UInt32(level)) }
            }
            if let fill {
                withUnsafeBytes(of: fill) { _ = H5Pset_fill_value(dcpl, T.nativeType, $0.baseAddress) }
            }
            let lcpl = linkCreation(); defer { H5Pclose(lcpl) }
            let d = H5Dcreate2(id, dataset, T.nativeType, space, lcpl, dcpl, probity_h5p_default())
            if d < 0 { throw fail(dataset, "cannot create dataset") }
            H5Dclose(d)
        }
    }

    /// Writes a whole dataset (created or replaced) of `shape` from `data`.
    public func write<T: HDF5Scalar>(_ dataset: String, _ data: [T], shape: [Int], chunks: [Int]? = nil,
                                     growable: Bool = false, compression: Int? = nil) throws {
        precondition(shape.reduce(1, *) == data.count, "data does not fill shape \(shape)")
        try locked {
            try create(dataset, of: T.self, shape: shape, chunks: chunks, growable: growable, compression: compression)
            if data.isEmpty { return }
            try withDataset(dataset) { d in
                let status = data.withUnsafeBytes { H5Dwrite(d, T.nativeType, probity_h5s_all(), probity_h5s_all(), probity_h5p_default(), $0.baseAddress) }
                if status < 0 { throw fail(dataset, "cannot write") }
            }
        }
    }

    /// Overwrites items `start ..< start + n` of the first axis with `data` (n items).
    public func write<T: HDF5Scalar>(_ dataset: String, rowsFrom start: Int, _ data: [T]) throws {
        try withDataset(dataset) { d in
            let space = H5Dget_space(d); defer { H5Sclose(space) }
            let (shape, _) = HDF5File.dims(of: space)
            let item = shape.dropFirst().reduce(1, *)
            guard item > 0, data.count % item == 0, start >= 0, start + data.count / item <= shape[0] else {
                throw ProbityError.badInput(file: path, location: dataset,
                                            problem: "\(data.count) values at row \(start) do not fit shape \(shape)")
            }
            var offset = [hsize_t](repeating: 0, count: shape.count)
            var count = shape.map { hsize_t($0) }
            offset[0] = hsize_t(start)
            count[0] = hsize_t(data.count / item)
            H5Sselect_hyperslab(space, H5S_SELECT_SET, offset, nil, count, nil)
            let memSpace = H5Screate_simple(Int32(count.count), count, nil); defer { H5Sclose(memSpace) }
            let status = data.withUnsafeBytes { H5Dwrite(d, T.nativeType, memSpace, space, probity_h5p_default(), $0.baseAddress) }
            if status < 0 { throw fail(dataset, "cannot write rows from \(start)") }
        }
    }

    /// Appends items to a growable (chunked, unlimited first axis) dataset.
    public func append<T: HDF5Scalar>(_ dataset: String, _ data: [T]) throws {
        let start: Int = try withDataset(dataset) { d in
            let space = H5Dget_space(d)
            let (shape, maxShape) = HDF5File.dims(of: space)
            H5Sclose(space)
            guard maxShape.first.flatMap({ $0 }) == nil else {
                throw ProbityError.badInput(file: path, location: dataset, problem: "dataset is not growable (fixed first axis)")
            }
            let item = shape.dropFirst().reduce(1, *)
            guard item > 0, data.count % item == 0 else {
                throw ProbityError.badInput(file: path, location: dataset, problem: "\(data.count) values are not whole items of shape \(shape)")
            }
            var newDims = shape.map { hsize_t($0) }
            newDims[0] += hsize_t(data.count / item)
            if H5Dset_extent(d, newDims) < 0 { throw fail(dataset, "cannot extend") }
            return shape[0]
        }
        try write(dataset, rowsFrom: start, data)
    }
}
