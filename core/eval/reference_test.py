"""`genesis auc` / `genesis cpm` against independent Python computations made here.

- AUC: sklearn.metrics.roc_auc_score; ROC: sklearn.metrics.roc_curve (drop_intermediate).
- DeLong variance, CI and paired p-value: the O(m n) structural components computed directly
  from the pairwise kernel psi(x, y) = [x > y] + 1/2 [x == y] in numpy.
- CPM: a re-implementation of the LUNA16 evaluation script's semantics (nodule loop over
  candidates, excluded nodules, FROC via sklearn roc_curve, numpy interp at 1/8 .. 8).

usage: reference_test.py GENESIS_BINARY   (exit 0 when every check passes)
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

GENESIS = sys.argv[1]
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def run(*args, expect_ok=True):
    proc = subprocess.run([GENESIS, *args], capture_output=True, text=True)
    if expect_ok and proc.returncode != 0:
        raise SystemExit(f"genesis {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def write_scores(path, ids, labels, scores, order=None):
    order = range(len(ids)) if order is None else order
    with open(path, "w") as f:
        f.write("id,group,label,score\n")
        for i in order:
            f.write(f"{ids[i]},g{i % 17},{labels[i]},{scores[i]!r}\n")


def delong_reference(x_pos, x_neg):
    psi = (x_pos[:, None] > x_neg[None, :]) + 0.5 * (x_pos[:, None] == x_neg[None, :])
    return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)


# ------------------------------------------------------------------ AUC, DeLong, ROC
rng = np.random.default_rng(20201)
n = 2500
labels = (rng.random(n) < 0.12).astype(int)
score_a = np.round(rng.normal(size=n) + 1.2 * labels, 1)  # Coarse: many ties.
score_b = np.round(0.6 * score_a + rng.normal(size=n) * 0.8 + 0.3 * labels, 2)
ids = [f"cand_{i:05d}" for i in range(n)]
a_csv, b_csv, roc_csv = (os.path.join(TMP, f) for f in ("a.csv", "b.csv", "roc.csv"))
write_scores(a_csv, ids, labels, score_a)
write_scores(b_csv, ids, labels, score_b, order=rng.permutation(n))  # Paired by id, not order.

out = json.loads(run("auc", a_csv, b_csv, "--roc", roc_csv).stdout)
pos, neg = labels == 1, labels == 0
auc_a, v10_a, v01_a = delong_reference(score_a[pos], score_a[neg])
auc_b, v10_b, v01_b = delong_reference(score_b[pos], score_b[neg])
m, k = pos.sum(), neg.sum()
check(abs(out["auc"] - roc_auc_score(labels, score_a)) < 1e-12, f"auc {out['auc']}")
check(abs(out["auc_b"] - roc_auc_score(labels, score_b)) < 1e-12, f"auc_b {out['auc_b']}")
check(out["n_pos"] == m and out["n_neg"] == k, "n_pos / n_neg")
s10 = np.cov(np.vstack([v10_a, v10_b]))  # Denominator m-1.
s01 = np.cov(np.vstack([v01_a, v01_b]))
cov = s10 / m + s01 / k
z975 = 1.959963984540054
half = z975 * math.sqrt(cov[0, 0])
check(abs(out["ci95"][0] - (auc_a - half)) < 1e-9, f"ci95 low {out['ci95']} vs {auc_a - half}")
check(abs(out["ci95"][1] - min(1, auc_a + half)) < 1e-9, f"ci95 high {out['ci95']}")
var_delta = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
zstat = (auc_a - auc_b) / math.sqrt(var_delta)
p_ref = math.erfc(abs(zstat) / math.sqrt(2))
check(abs(out["delta"] - (auc_a - auc_b)) < 1e-12, f"delta {out['delta']}")
check(abs(out["p_value"] - p_ref) < 1e-9 * max(1, p_ref), f"p {out['p_value']} vs {p_ref}")
check(abs(out["delta_ci95"][0] - (auc_a - auc_b - z975 * math.sqrt(var_delta))) < 1e-9,
      "delta_ci95")
print(f"auc {out['auc']:.6f} auc_b {out['auc_b']:.6f} p {out['p_value']:.4g} (ref {p_ref:.4g})")

fpr, tpr, thr = roc_curve(labels, score_a)  # drop_intermediate=True, as --roc writes.
ours = np.genfromtxt(roc_csv, delimiter=",", names=True)
check(len(ours) == len(fpr), f"roc points {len(ours)} vs sklearn {len(fpr)}")
if len(ours) == len(fpr):
    check(np.allclose(ours["fpr"], fpr, atol=1e-12) and np.allclose(ours["tpr"], tpr, atol=1e-12),
          "roc fpr/tpr differ from sklearn")
    check(np.allclose(ours["threshold"][1:], thr[1:]), "roc thresholds differ from sklearn")

# Single file: same AUC and CI as the paired run's A.
single = json.loads(run("auc", a_csv).stdout)
check(single["auc"] == out["auc"] and single["ci95"] == out["ci95"], "single-file auc/ci")
check(set(single) == {"auc", "ci95", "n_pos", "n_neg"}, f"single-file keys {sorted(single)}")

# Unmatched ids: an error naming them.
write_scores(os.path.join(TMP, "short.csv"), ids[:-3], labels[:-3], score_b[:-3])
proc = run("auc", a_csv, os.path.join(TMP, "short.csv"), expect_ok=False)
check(proc.returncode == 1 and "cand_02499" in proc.stderr, f"unmatched ids: {proc.stderr}")

# ------------------------------------------------------------------ LUNA16 CPM
def official_style_cpm(series, included, excluded, marks):
    """The evaluation script's loops, restated (candidates hit when dist^2 < r^2)."""
    gt, prob, excl = [], [], []
    for uid in series:
        cands = {i: c for i, c in enumerate(marks) if c[0] == uid}
        remaining = dict(cands)
        annots = [(a, "Included") for a in included if a[0] == uid] + \
                 [(a, "Excluded") for a in excluded if a[0] == uid]
        for (suid, x, y, z, d), state in annots:
            d = 10.0 if d < 0 else d
            matches = []
            for key, (cuid, cx, cy, cz, p) in cands.items():
                if (cx - x) ** 2 + (cy - y) ** 2 + (cz - z) ** 2 < (d / 2) ** 2:
                    if state == "Included":
                        matches.append(p)
                    remaining.pop(key, None)
            if state == "Included":
                gt.append(1.0)
                prob.append(max(matches) if matches else -1e9)
                excl.append(not matches)
        for key, c in remaining.items():
            gt.append(0.0)
            prob.append(c[4])
            excl.append(False)
    gt_l = [g for g, e in zip(gt, excl) if not e]
    pr_l = [p for p, e in zip(prob, excl) if not e]
    detected, total = sum(gt_l), sum(gt)
    fpr_, tpr_, _ = roc_curve(gt_l, pr_l)
    fps = fpr_ * (len(pr_l) - detected) / len(series)
    sens = tpr_ * detected / total
    points = [0.125, 0.25, 0.5, 1, 2, 4, 8]
    values = [float(np.interp(p, fps, sens)) for p in points]
    return float(np.mean(values)), values


crng = np.random.default_rng(16)
series = [f"1.3.6.1.4.{i}" for i in range(12)]
included, excluded, marks = [], [], []
for uid in series:
    for _ in range(crng.integers(0, 4)):
        c = crng.uniform(-100, 100, 3)
        d = float(crng.choice([-1.0, crng.uniform(3, 25)]))
        included.append((uid, *map(float, c), d))
        for _ in range(crng.integers(0, 4)):  # Marks near the nodule, some inside.
            off = crng.normal(scale=4, size=3)
            marks.append((uid, *map(float, c + off), float(np.round(crng.random(), 2))))
    for _ in range(crng.integers(0, 2)):
        c = crng.uniform(-100, 100, 3)
        excluded.append((uid, *map(float, c), float(crng.choice([-1.0, 6.0]))))
        marks.append((uid, *map(float, c + crng.normal(scale=2, size=3)),
                      float(np.round(crng.random(), 2))))
    for _ in range(crng.integers(5, 40)):  # Background false positives.
        marks.append((uid, *map(float, crng.uniform(-100, 100, 3)),
                      float(np.round(crng.random() * 0.8, 2))))
marks.append(("not.listed", 0.0, 0.0, 0.0, 0.99))


def write_rows(path, header, rows):
    with open(path, "w") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(",".join(str(v) if isinstance(v, str) else repr(v) for v in r) + "\n")


paths = {k: os.path.join(TMP, k) for k in ("ann.csv", "exc.csv", "series.txt", "marks.csv")}
write_rows(paths["ann.csv"], "seriesuid,coordX,coordY,coordZ,diameter_mm", included)
write_rows(paths["exc.csv"], "seriesuid,coordX,coordY,coordZ,diameter_mm", excluded)
with open(paths["series.txt"], "w") as f:
    f.write("\n".join(series) + "\n")
write_rows(paths["marks.csv"], "seriesuid,coordX,coordY,coordZ,probability", marks)
out = json.loads(run("cpm", "--annotations", paths["ann.csv"], "--excluded", paths["exc.csv"],
                     "--series", paths["series.txt"], "--predictions", paths["marks.csv"]).stdout)
cpm_ref, sens_ref = official_style_cpm(series, included, excluded, marks)
keys = ["0.125", "0.25", "0.5", "1", "2", "4", "8"]
check(list(out["sensitivity"]) == keys, f"sensitivity keys {list(out['sensitivity'])}")
for key, ref in zip(keys, sens_ref):
    check(abs(out["sensitivity"][key] - ref) < 1e-12, f"sens@{key} {out['sensitivity'][key]} vs {ref}")
check(abs(out["cpm"] - cpm_ref) < 1e-12, f"cpm {out['cpm']} vs {cpm_ref}")
check(out["marks_outside_series"] == 1, "marks_outside_series")
print(f"cpm {out['cpm']:.6f} (reference {cpm_ref:.6f}), {len(included)} nodules, "
      f"{len(marks)} marks, {out['false_positives']} FPs")

# Bad input names file, line and column.
with open(os.path.join(TMP, "bad_marks.csv"), "w") as f:
    f.write("seriesuid,coordX,coordY,coordZ,probability\n1.2,0,0,0,0.5\n1.2,0,zero,0,0.5\n")
proc = run("cpm", "--annotations", paths["ann.csv"], "--series", paths["series.txt"],
           "--predictions", os.path.join(TMP, "bad_marks.csv"), expect_ok=False)
check(proc.returncode == 1 and "bad_marks.csv:3: column 'coordY'" in proc.stderr,
      f"bad marks message: {proc.stderr}")

# ------------------------------------------------------------------ evaluate stage via `genesis run`
# A MURA-like transfer folder (images grouped in studies, 2 initialisations x 2 folds x 1 seed,
# one sub-run unfinished); evaluation.json against sklearn.
from sklearn.metrics import accuracy_score, cohen_kappa_score, recall_score

srng = np.random.default_rng(7)
transfer = os.path.join(TMP, "run_transfer")
os.makedirs(os.path.join(transfer, "subruns"), exist_ok=True)
with open(os.path.join(transfer, "task.json"), "w") as f:
    json.dump({"task": "mura", "dataset": "MURA", "prediction_columns": []}, f)
data = {}
listing = ["subrun,initializer,fold,fold_name,seed,label_fraction,status"]
for init, skill in (("scratch", 0.8), ("imagenet", 1.6)):
    for fold in (0, 1):
        name = f"{init}_fold{fold}_seed3_frac1"
        d = os.path.join(transfer, "subruns", name)
        os.makedirs(d, exist_ok=True)
        done = not (init == "imagenet" and fold == 1)
        with open(os.path.join(d, "subrun.json"), "w") as f:
            json.dump({"subrun": name, "initializer": init, "fold": fold,
                       "fold_name": f"fold {fold}", "seed": 3, "label_fraction": 1.0}, f)
        for split, n_studies in (("val", 40), ("test", 90)):
            study_label = (np.arange(n_studies) % 2).astype(int)
            rows = []
            for st in range(n_studies):
                for k in range(1 + st % 3):  # 1-3 images per study
                    z = srng.normal() + skill * study_label[st]
                    rows.append((f"{split}{fold}_st{st}_img{k}", f"{split}{fold}_st{st}",
                                 int(study_label[st]), float(np.round(1 / (1 + np.exp(-z)), 3))))
            data[(init, fold, split)] = rows
            with open(os.path.join(d, f"predictions_{split}.csv"), "w") as f:
                f.write("id,group,label,score\n")
                for r in rows:
                    f.write(f"{r[0]},{r[1]},{r[2]},{r[3]!r}\n")
        if done:
            open(os.path.join(d, ".done"), "w").close()
        listing.append(f"{name},{init},{fold},fold {fold},3,1,{'done' if done else 'pending'}")
with open(os.path.join(transfer, "subruns.csv"), "w") as f:
    f.write("\n".join(listing) + "\n")
run_dir = os.path.join(TMP, "run_out")
with open(os.path.join(TMP, "evaluate.textproto"), "w") as f:
    f.write(f"""name: "evaluate_only"
output_dir: "{run_dir}"
stage {{ evaluate {{
  transfer_dir: "{transfer}"
  evaluator {{ type: "threshold" }}
  evaluator {{ type: "kappa" }}
  reference: "scratch"
}} }}
""")
proc = run("run", os.path.join(TMP, "evaluate.textproto"), expect_ok=False)
check(proc.returncode == 3, f"genesis run should exit 3 (skipped sub-run), got {proc.returncode}: "
      f"{proc.stderr[-2000:]}")
with open(os.path.join(run_dir, "00_evaluate", "evaluation.json")) as f:
    ev = json.load(f)
check(len(ev["subruns"]) == 3, f"{len(ev['subruns'])} sub-runs evaluated")
check(any("imagenet_fold1_seed3_frac1" in w and ".done" in w for w in ev["warnings"]),
      f"warnings {ev['warnings']}")
for s in ev["subruns"]:
    rows = data[(s["initializer"], s["fold"], "test")]
    val = data[(s["initializer"], s["fold"], "val")]
    y = np.array([r[2] for r in rows]); p = np.array([r[3] for r in rows])
    yv = np.array([r[2] for r in val]); pv = np.array([r[3] for r in val])
    t = s["test"]
    check(abs(t["auc"] - roc_auc_score(y, p)) < 1e-12, f"{s['subrun']} auc")
    check(abs(t["accuracy_0.5"] - accuracy_score(y, p >= 0.5)) < 1e-12, f"{s['subrun']} acc@0.5")
    check(abs(t["sensitivity_0.5"] - recall_score(y, p >= 0.5)) < 1e-12, f"{s['subrun']} sens")
    fpr, tpr, thr = roc_curve(yv, pv, drop_intermediate=False)
    j = tpr - fpr
    youden = thr[int(np.argmax(j))]  # First maximum = highest threshold.
    check(abs(t["threshold_youden"] - youden) < 1e-12,
          f"{s['subrun']} youden {t['threshold_youden']} vs {youden}")
    check(abs(t["specificity_youden"] - recall_score(1 - y, p < youden)) < 1e-12,
          f"{s['subrun']} spec@youden")
    studies = {}
    for r in rows:
        studies.setdefault(r[1], []).append(r)
    sy = [v[0][2] for v in studies.values()]
    sp = [np.mean([r[3] for r in v]) for v in studies.values()]
    kappa = cohen_kappa_score(sy, [int(x >= 0.5) for x in sp])
    check(abs(t["kappa_study"] - kappa) < 1e-12, f"{s['subrun']} kappa {t['kappa_study']} vs {kappa}")
scratch = [e for e in ev["summary"] if e["initializer"] == "scratch"][0]
pooled_rows = data[("scratch", 0, "test")] + data[("scratch", 1, "test")]
check(abs(scratch["pooled"]["auc"] - roc_auc_score([r[2] for r in pooled_rows],
                                                   [r[3] for r in pooled_rows])) < 1e-12,
      "pooled auc")
fold_aucs = [roc_auc_score([r[2] for r in data[("scratch", k, "test")]],
                           [r[3] for r in data[("scratch", k, "test")]]) for k in (0, 1)]
check(abs(scratch["folds"]["auc_mean"] - np.mean(fold_aucs)) < 1e-12, "folds auc_mean")
check(abs(scratch["folds"]["auc_sd"] - np.std(fold_aucs, ddof=1)) < 1e-12, "folds auc_sd")
comp = [c for c in ev["comparisons"] if c["scope"] == "fold 0"][0]
check(comp["a"] == "imagenet" and comp["b"] == "scratch", "comparison orientation")
ya = np.array([r[2] for r in data[("imagenet", 0, "test")]])
pa = np.array([r[3] for r in data[("imagenet", 0, "test")]])
pb = np.array([r[3] for r in data[("scratch", 0, "test")]])
aa, v10a, v01a = delong_reference(pa[ya == 1], pa[ya == 0])
ab, v10b, v01b = delong_reference(pb[ya == 1], pb[ya == 0])
cov = np.cov(np.vstack([v10a, v10b])) / (ya == 1).sum() + np.cov(np.vstack([v01a, v01b])) / (ya == 0).sum()
p_ref = math.erfc(abs(aa - ab) / math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]) / math.sqrt(2))
check(abs(comp["p_value"] - p_ref) < 1e-9, f"stage paired p {comp['p_value']} vs {p_ref}")
check(comp["significant"] == (p_ref < 0.05), "significant flag")
print(f"evaluate stage: {len(ev['subruns'])} sub-runs, fold-0 delta {comp['delta']:.4f} "
      f"p {comp['p_value']:.3g}")

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
