"""Makes Tests/Fixtures/jpeg/: small JPEG files and what Pillow decodes them to.

The images are crops of the first bundled photo (datasets/photos.h5; see datasets/README.md for
its provenance), encoded by Pillow in the layouts users meet: 4:2:0, 4:2:2 and 4:4:4 chroma
subsampling, progressive, grayscale, odd sizes (partial MCUs), and one file cut short.
`decoded.h5` holds Pillow's `np.asarray(Image.open(f).convert(...))` for each readable file,
which Probity's decoder must reproduce exactly.

Run with Pillow (13.0.0 with its bundled libjpeg-turbo made the committed files), numpy and h5py:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pillow numpy h5py
    /tmp/venv/bin/python Tests/Fixtures/recipes/make_jpeg_fixture.py
"""
import io
import os

import h5py
import numpy as np
from PIL import Image, features

root = os.path.join(os.path.dirname(__file__), "..", "..", "..")
out = os.path.join(os.path.dirname(__file__), "..", "jpeg")
os.makedirs(out, exist_ok=True)

with h5py.File(os.path.join(root, "datasets", "photos.h5"), "r") as f:
    photo = f["images"][0]  # [224, 224, 3] uint8

cases = {
    "rgb420_37x29.jpg": (photo[40:69, 60:97], dict(quality=90, subsampling=2)),
    "rgb422_40x24.jpg": (photo[100:124, 20:60], dict(quality=85, subsampling=1)),
    "rgb444_33x33.jpg": (photo[10:43, 150:183], dict(quality=95, subsampling=0)),
    "progressive_50x41.jpg": (photo[60:101, 90:140], dict(quality=80, progressive=True)),
    "gray_31x17.jpg": (np.asarray(Image.fromarray(photo[150:167, 30:61]).convert("L")), dict(quality=90)),
}
with h5py.File(os.path.join(out, "decoded.h5"), "w") as h:
    h.attrs["pillow"] = Image.__version__
    h.attrs["libjpeg_turbo"] = str(features.version("libjpeg_turbo"))
    for name, (pixels, options) in cases.items():
        Image.fromarray(pixels).save(os.path.join(out, name), format="JPEG", **options)
        image = Image.open(os.path.join(out, name))
        mode = "L" if image.mode == "L" else "RGB"
        decoded = np.asarray(image.convert(mode))
        h.create_dataset(name, data=decoded if decoded.ndim == 3 else decoded[:, :, None])

# A file cut short: Pillow refuses it ("image file is truncated").
data = open(os.path.join(out, "rgb420_37x29.jpg"), "rb").read()
open(os.path.join(out, "truncated.jpg"), "wb").write(data[: len(data) // 2])
try:
    Image.open(os.path.join(out, "truncated.jpg")).convert("RGB")
    raise SystemExit("Pillow decoded the truncated file")
except OSError as e:
    print("truncated:", e)
print("wrote", sorted(os.listdir(out)))
