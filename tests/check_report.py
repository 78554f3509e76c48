#!/usr/bin/python3
"""Checks that a Genesis study report came from computation, section by section.

    check_report.py RUN_DIR REPORT_DIR

Independent of Genesis' code (standard library + sklearn): it recomputes every per-fold test
AUC from the sub-runs' predictions_test.csv with sklearn and finds it in the HTML's per-fold
table, checks every section holds numbers (not placeholders), every inline chart draws data,
every PNG plot decodes to a non-blank image, and the one-line answer carries a CI and a p-value.
Exits 1 naming the first failed check.
"""
import csv
import html
import json
import os
import re
import struct
import sys
import zlib

from sklearn.metrics import roc_auc_score

SECTIONS = ["Summary (study Fig 5.1)", "Significance in words", "Label efficiency", "Per fold",
            "Charts", "Warnings", "Provenance"]
# Text a report must never show: unfilled templates, unformatted numbers.
PLACEHOLDERS = re.compile(
    r"\b(todo|tbd|placeholder|lorem|fixme|xxx|nan|-?inf|undefined|null|none)\b|\{\{|\}\}|%s|%d",
    re.IGNORECASE)
NUMBER = r"[−+-]?\d+\.\d+"
AUC_CI = re.compile(rf"(\d\.\d{{4}}) \[(\d\.\d{{4}}), (\d\.\d{{4}})\]")
ANSWER = re.compile(rf"ΔAUC {NUMBER} \[{NUMBER}, {NUMBER}\], p [=<] [\d.e−-]+")


def fail(message):
    print(f"check_report: FAIL: {message}")
    sys.exit(1)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def visible_text(fragment):
    fragment = re.sub(r"<(style|script)\b.*?</\1>", " ", fragment, flags=re.S)
    fragment = re.sub(r"<svg\b.*?</svg>", " ", fragment, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def sections(page):
    """{h2 title: html of the section up to the next h2}."""
    parts = re.split(r"<h2[^>]*>(.*?)</h2>", page, flags=re.S)
    return {visible_text(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def png_pixels(path):
    """(width, height, channels, bytes) of an 8-bit non-interlaced PNG (what Genesis writes)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        fail(f"{path}: PNG depth {depth} color {color} interlace {interlace} not checked here")
    raw = zlib.decompress(idat)
    stride = width * channels
    out = bytearray()
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        previous = line
    return width, height, channels, bytes(out)


def main():
    run_dir, report_dir = sys.argv[1], sys.argv[2]
    page = open(os.path.join(report_dir, "report.html"), encoding="utf-8").read()
    found = sections(page)
    for title in SECTIONS:
        if not any(t.startswith(title) for t in found):
            fail(f"report.html: section '{title}' missing (found {list(found)})")
    for title, body in found.items():
        text = visible_text(body)
        bad = PLACEHOLDERS.search(text)
        if bad:
            fail(f"section '{title}': placeholder or unformatted value '{bad.group(0)}' in: "
                 f"...{text[max(0, bad.start() - 80):bad.end() + 80]}...")
        if len(text) < 40:
            fail(f"section '{title}' is (nearly) empty: {text!r}")

    def section(title):
        return next(body for t, body in found.items() if t.startswith(title))

    # Summary: an AUC with its CI for scratch and self-supervised; ImageNet says why it did not run.
    summary = visible_text(section("Summary"))
    if len(AUC_CI.findall(summary)) < 2:
        fail(f"Summary: fewer than two 'AUC [low, high]' cells: {summary[:400]}")
    if not re.search(r"p [=<] [\d.e−-]+", summary):
        fail("Summary: no p-value for the paired comparison")
    if "ImageNet" in summary and "not run" in summary and "no weights file given" not in summary:
        fail("Summary: ImageNet 'not run' without its reason")
    for lo_hi in AUC_CI.findall(summary):
        auc, lo, hi = map(float, lo_hi)
        if not 0 <= lo <= auc <= hi <= 1:
            fail(f"Summary: CI {lo_hi} does not contain its AUC")

    # Significance in words: every sentence has a ΔAUC, a CI and a p-value.
    words = visible_text(section("Significance in words"))
    if not ANSWER.search(words):
        fail(f"Significance in words: no 'ΔAUC x [lo, hi], p = ...' sentence: {words[:300]}")

    # Per fold: every finished sub-run's test AUC, recomputed here from its predictions, is in
    # the table (4 decimals), with the fold's name.
    per_fold = visible_text(section("Per fold"))
    subruns = rows(os.path.join(run_dir, "02_transfer", "subruns.csv"))
    done = [r for r in subruns if r["status"] == "done"]
    if not done:
        fail("no finished sub-run in 02_transfer/subruns.csv")
    for r in done:
        pred = rows(os.path.join(run_dir, "02_transfer", "subruns", r["subrun"],
                                 "predictions_test.csv"))
        labels = [int(p["label"]) for p in pred]
        scores = [float(p["score"]) for p in pred]
        auc = roc_auc_score(labels, scores)
        if f"{auc:.4f}" not in per_fold and f"{auc + 5e-5:.4f}" not in per_fold and \
                f"{auc - 5e-5:.4f}" not in per_fold:
            fail(f"Per fold: {r['subrun']}'s test AUC {auc:.4f} (sklearn, from its predictions) "
                 f"is not in the table")
        if r["fold_name"] not in per_fold:
            fail(f"Per fold: fold '{r['fold_name']}' not named")
    not_run = [r for r in subruns if r["status"].startswith("not run")]
    for r in not_run:
        if "no weights file given" not in r["status"]:
            fail(f"subruns.csv: {r['subrun']} not run without the reason: {r['status']}")

    # Label efficiency: one AUC with CI per initialisation that ran and label fraction.
    fractions = {r["label_fraction"] for r in done}
    inits = {r["initializer"] for r in done}
    efficiency = visible_text(section("Label efficiency"))
    if len(AUC_CI.findall(efficiency)) < len(fractions) * len(inits):
        fail(f"Label efficiency: {len(AUC_CI.findall(efficiency))} AUC cells for "
             f"{len(inits)} initialisations x {len(fractions)} fractions")

    # Charts: every inline SVG draws at least one data line with many points.
    charts = section("Charts")
    svgs = re.findall(r"<svg\b.*?</svg>", charts, flags=re.S)
    if not svgs:
        fail("Charts: no chart")
    for i, svg in enumerate(svgs):
        lines = re.findall(r"<(?:polyline|path)\b[^>]*(?:points|d)=\"([^\"]+)\"", svg)
        longest = max((len(re.findall(r"-?\d+(?:\.\d+)?", l)) for l in lines), default=0)
        if longest < 6:
            fail(f"Charts: chart {i + 1} draws no data line (longest has {longest} numbers)")

    # PNG plots: present, decodable, not blank (several grey levels, a fair share of ink).
    plots = os.path.join(report_dir, "plots")
    pngs = sorted(f for f in os.listdir(plots) if f.endswith(".png"))
    if not pngs:
        fail(f"{plots}: no PNG plot")
    for name in pngs:
        width, height, channels, pixels = png_pixels(os.path.join(plots, name))
        grey = pixels[::channels]
        levels = len(set(grey))
        ink = sum(1 for v in grey if v < 200) / len(grey)
        if width < 100 or height < 100 or levels < 8 or ink < 0.005:
            fail(f"{name}: {width}x{height}, {levels} grey levels, {ink:.2%} ink: looks blank")

    # Provenance: the commit and library versions, and every stage's fingerprint.
    provenance = visible_text(section("Provenance"))
    for needle in ("LibTorch", "ITK", "OpenCV", "fingerprint"):
        if needle not in provenance:
            fail(f"Provenance: '{needle}' missing")
    if "not recorded" in provenance or "unknown (set" in provenance:
        fail(f"Provenance: something was not recorded: {provenance[:300]}")

    # The machine-readable copies agree with the page.
    answer = open(os.path.join(report_dir, "answer.txt"), encoding="utf-8").read()
    if not ANSWER.search(answer):
        fail(f"answer.txt has no ΔAUC with CI and p-value: {answer!r}")
    report = json.load(open(os.path.join(report_dir, "report.json")))
    if not report:
        fail("report.json is empty")
    for row in rows(os.path.join(report_dir, "folds.csv")):
        if f"{float(row['auc']):.4f}" not in per_fold:
            fail(f"folds.csv AUC {row['auc']} of {row['subrun']} not in the page")
    print(f"check_report: OK: {len(found)} sections, {len(done)} sub-runs' AUCs recomputed, "
          f"{len(svgs)} charts, {len(pngs)} PNG plots")


if __name__ == "__main__":
    main()
