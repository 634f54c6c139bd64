"""scikit-learn's IsolationForest on the table `skytrace bench` writes, for comparison.

Usage: python3 bench/iforest_sklearn.py TABLE.csv RUNS
Prints `sklearn fit+score_s=<median seconds> roc_auc=<mean>` (n_jobs=1 and n_jobs=-1).
"""

import statistics
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def main() -> None:
    table, runs = sys.argv[1], int(sys.argv[2])
    data = np.loadtxt(table, delimiter=",", skiprows=1)
    features, labels = data[:, :-1], data[:, -1]
    for jobs in (1, -1):
        timings, aucs = [], []
        for seed in range(runs):
            started = time.perf_counter()
            forest = IsolationForest(n_estimators=100, max_samples=256, random_state=seed, n_jobs=jobs)
            forest.fit(features)
            scores = -forest.score_samples(features)
            timings.append(time.perf_counter() - started)
            aucs.append(roc_auc_score(labels, scores))
        print(
            f"scikit-learn (n_jobs={jobs}): fit+score_s={statistics.median(timings):.4f} "
            f"roc_auc={statistics.mean(aucs):.4f}"
        )


if __name__ == "__main__":
    main()
