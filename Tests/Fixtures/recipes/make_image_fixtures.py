"""Makes the committed fixtures for ProbityCore's image-op tests and ProbityData's
PNG and HDF5 interop tests, from independent implementations (scikit-image, SciPy, Pillow, h5py).

Run once in a throwaway venv (pip install scikit-image scipy pillow h5py numpy), from the
repository root:  python Tests/Fixtures/recipes/make_image_fixtures.py
Versions used for the committed files: scikit-image 0.26.0, SciPy 1.17.1, Pillow 13.0.0, h5py 3.16.0, NumPy 2.4.6.
"""
import struct, zlib
import numpy as np, h5py, scipy.ndimage as ndi
from PIL import Image
from skimage.transform import resize

out = "Tests/Fixtures"
rng = np.random.default_rng(20261123)

# --- resize and blur (ProbityCoreTests/ImageOpsTests) ---------------------------------
img = rng.random((3, 37, 53)).astype(np.float32)          # [C, H, W] in [0, 1]
hwc = img.transpose(1, 2, 0).astype(np.float64)
def chw(a): return np.ascontiguousarray(np.asarray(a, dtype=np.float32).transpose(2, 0, 1))
def pil(a, size, f):
    return np.stack([np.asarray(Image.fromarray(c.astype(np.float32), mode="F").resize(size, f)) for c in a])
with h5py.File(f"{out}/image_ops.h5", "w") as f:
    f["input"] = img
    f["antialiased_down"] = chw(resize(hwc, (16, 20), order=1, anti_aliasing=True))               # mode reflect
    f["antialiased_up"] = chw(resize(hwc, (50, 70), order=1, anti_aliasing=True))
    f["bilinear_down"] = chw(resize(hwc, (16, 20), order=1, anti_aliasing=False, mode="edge"))
    f["bilinear_up"] = chw(resize(hwc, (50, 70), order=1, anti_aliasing=False, mode="edge"))
    f["bicubic_down"] = pil(img, (20, 16), Image.BICUBIC)
    f["bicubic_up"] = pil(img, (70, 50), Image.BICUBIC)
    f["area_down"] = pil(img, (20, 16), Image.BOX)
    f["area_up"] = pil(img, (70, 50), Image.BOX)
    for mode, name in [("reflect", "reflect"), ("mirror", "mirror"), ("nearest", "nearest"), ("constant", "zero")]:
        f[f"blur_{name}"] = np.stack([ndi.gaussian_filter(c.astype(np.float64), sigma=(1.5, 2.5), mode=mode, cval=0.0) for c in img]).astype(np.float32)
    # Issue 14 (references of explainer and metric internals; own generator, so the cases above
    # keep their values):
    # - rise_blur: the RISE reference code's insertion blur (eclique/RISE evaluation.py):
    #   gkern(11, 5) = gaussian_filter of an 11x11 delta at sigma 5, applied per channel by
    #   conv2d(padding=5), which is correlation with zero padding (ndimage.correlate, constant 0);
    # - rise_grid / rise_grid_up: a 7x7 RISE grid upsampled as generate_masks does,
    #   resize(order=1, mode="reflect", anti_aliasing=False) to (8 * 5, 8 * 5);
    # - scorecam_planes / scorecam_up: activations upsampled as pytorch-grad-cam's ScoreCAM does,
    #   torch.nn.UpsamplingBilinear2d (align_corners=True); ndimage.zoom(order=1, grid_mode=False)
    #   is the same map (checked once against torch 2.13: max difference 3e-7).
    delta = np.zeros((11, 11)); delta[5, 5] = 1
    gk = ndi.gaussian_filter(delta, 5)
    f["rise_blur"] = np.stack([ndi.correlate(c.astype(np.float64), gk, mode="constant", cval=0.0) for c in img]).astype(np.float32)
    irng = np.random.default_rng(14)
    grid = (irng.random((7, 7)) < 0.5).astype(np.float32)
    f["rise_grid"] = grid
    f["rise_grid_up"] = resize(grid, (40, 40), order=1, mode="reflect", anti_aliasing=False).astype(np.float32)
    planes = irng.random((2, 7, 7)).astype(np.float32)
    f["scorecam_planes"] = planes
    f["scorecam_up"] = np.stack([ndi.zoom(c.astype(np.float64), (37 / 7, 53 / 7), order=1, grid_mode=False) for c in planes]).astype(np.float32)

# --- PNG decoding (ProbityDataTests/PNGTests) ------------------------------------------
def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
def write_png16(path, arr, color_type):          # a minimal 16-bit PNG writer (Pillow cannot write 16-bit RGB)
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)

h, w = 11, 13
rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
gray = rng.integers(0, 256, (h, w), dtype=np.uint8)
alpha = rng.integers(0, 256, (h, w), dtype=np.uint8)
g16 = rng.integers(0, 65536, (h, w), dtype=np.uint16)
rgb16 = rng.integers(0, 65536, (h, w, 3), dtype=np.uint16)
Image.fromarray(rgb, "RGB").save(f"{out}/png/rgb8.png")
Image.fromarray(gray, "L").save(f"{out}/png/gray8.png")
Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(f"{out}/png/rgba8.png")
Image.fromarray(np.dstack([gray, alpha]), "LA").save(f"{out}/png/graya8.png")
pal = Image.fromarray(rgb, "RGB").quantize(colors=16)
pal.save(f"{out}/png/palette.png")
write_png16(f"{out}/png/gray16.png", g16, 0)
write_png16(f"{out}/png/rgb16.png", rgb16, 2)
def to8(v): return ((v.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
with h5py.File(f"{out}/png/expected.h5", "w") as f:
    f["rgb8"] = rgb; f["gray8"] = gray; f["rgba8"] = rgb; f["graya8"] = gray
    f["palette"] = np.asarray(pal.convert("RGB"))
    f["gray16"] = to8(g16); f["rgb16"] = to8(rgb16)

# --- a dataset written by h5py (ProbityDataTests/InteropTests) -------------------------
n, H, W, C = 5, 8, 6, 3
i, y, x, c = np.meshgrid(np.arange(n), np.arange(H), np.arange(W), np.arange(C), indexing="ij")
with h5py.File(f"{out}/h5py_dataset.h5", "w") as f:
    f["images"] = ((i * 7 + y * 3 + x * 5 + c) % 256).astype(np.uint8)
    f["labels"] = np.array([0, 2, 1, 2, 0], dtype=np.int64)
    f["class_names"] = np.array(["ant", "bee", "cat"], dtype=h5py.string_dtype())
    f["boxes"] = np.array([[0, 0, 3, 4], [1.5, 2, 6, 8]], dtype=np.float32)
    f["box_sample"] = np.array([1, 3], dtype=np.int64)
    f["box_label"] = np.array([2, 2], dtype=np.int64)
    f["masks"] = ((i + y + x) % 2).astype(np.uint8)[..., 0]
    f["split"] = np.array([0, 0, 1, 0, 1], dtype=np.uint8)
    f.attrs["probity_schema"] = 1
    f.attrs["input_scale"] = np.array([2, 2, 2], dtype=np.float32)
    f.attrs["input_offset"] = np.array([-1, -1, -1], dtype=np.float32)
    f.attrs["description"] = "made by h5py"
    f.attrs["source"] = "Tests/Fixtures/recipes/make_image_fixtures.py"
print("ok")
