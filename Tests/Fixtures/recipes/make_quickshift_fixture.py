"""Makes Tests/Fixtures/quickshift_photos.h5: scikit-image's quickshift segments of photos 0-2 of
datasets/photos.h5 with lime_image's parameters (kernel_size 4, max_dist 200, ratio 0.2), the
reference of SurrogateTests.testQuickshiftMatchesScikitImage. Run once in a throwaway venv:
    pip install scikit-image h5py && python Tests/Fixtures/recipes/make_quickshift_fixture.py
"""
import h5py
import numpy as np
import skimage
from skimage.segmentation import quickshift

root = __file__.rsplit("/Tests/", 1)[0]
images = h5py.File(f"{root}/datasets/photos.h5", "r")["images"][:3]
labels = np.stack([quickshift(im, kernel_size=4, max_dist=200, ratio=0.2, rng=42) for im in images]).astype(np.int32)
with h5py.File(f"{root}/Tests/Fixtures/quickshift_photos.h5", "w") as f:
    f.create_dataset("labels", data=labels, compression="gzip")
    f.attrs["producer"] = f"scikit-image {skimage.__version__} quickshift(kernel_size=4, max_dist=200, ratio=0.2, rng=42)"
print([len(np.unique(l)) for l in labels])
