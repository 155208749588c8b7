"""Dataset evaluation speed: cases per second in this process vs a LocalCluster of 2 worker processes.

    python benchmarks/run_dataset.py                 # 40 cases of 128^3, two labels, NIfTI (.nii.gz)
    python benchmarks/run_dataset.py --cases 10 --size 64

Both modes run ``napari_segreview.dataset.evaluate_dataset`` on the same folders (files read by whoever
evaluates, as in ``segreview evaluate GT_DIR PRED_DIR``), writing the JSON report after every case as the
command does; the cluster's start-up is timed apart. The rows of both runs are checked to be identical.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from napari_segreview.dataset import MetricOptions, evaluate_dataset, pair_folders


def write_cases(root: Path, n_cases: int, size: int) -> tuple[Path, Path]:
    """Ellipsoids with a smaller inner label, the prediction shifted and dilated differently per case."""
    gt_dir, pred_dir = root / "gt", root / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    grid = np.indices((size,) * 3, dtype=np.float32) - size / 2
    rng = np.random.default_rng(0)
    affine = np.diag([0.8, 0.8, 2.0, 1.0])
    for index in range(n_cases):
        radii = rng.uniform(0.2, 0.4, size=3) * size
        shift = rng.uniform(-0.05, 0.05, size=3) * size
        for folder, offset, scale in ((gt_dir, np.zeros(3), 1.0), (pred_dir, shift, rng.uniform(0.9, 1.1))):
            centred = grid - np.asarray(offset, np.float32)[:, None, None, None]
            r = np.sqrt(sum((centred[axis] / (radii[axis] * scale)) ** 2 for axis in range(3)))
            labels = (r < 1).astype(np.uint8) + (r < 0.5).astype(np.uint8)
            nib.save(nib.Nifti1Image(labels, affine), folder / f"case_{index:03d}.nii.gz")
    return gt_dir, pred_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cases = pair_folders(*write_cases(root, args.cases, args.size)).cases
        options = MetricOptions()

        start = time.perf_counter()
        in_process = evaluate_dataset(cases, options, out=root / "in_process.json")
        in_process_s = time.perf_counter() - start

        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",
                silence_logs=40,
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(args.workers)
            startup_s = time.perf_counter() - start
            start = time.perf_counter()
            on_cluster = evaluate_dataset(cases, options, out=root / "cluster.json", client=client)
            cluster_s = time.perf_counter() - start
        assert on_cluster == in_process, "the cluster's rows differ from the in-process rows"

    print(f"{args.cases} cases of {args.size}^3, labels 1 and 2, all metrics (border convention)")
    print(f"in-process          {in_process_s:7.2f} s  {args.cases / in_process_s:6.2f} cases/s")
    print(
        f"{args.workers} local workers     {cluster_s:7.2f} s  {args.cases / cluster_s:6.2f} cases/s"
        f"  ({in_process_s / cluster_s:.2f}x; cluster start-up {startup_s:.1f} s not included)"
    )
    print("rows identical: yes")


if __name__ == "__main__":
    main()
