"""genesis_fuzzer: a libFuzzer target and the regression test that replays its inputs.

    genesis_fuzzer(name = "npy_fuzzer", srcs = ["npy_fuzzer.cc"], deps = [...])

defines
  - `npy_fuzzer`: the libFuzzer binary, tagged "manual" (excluded from //...) and "fuzzer";
    it links only under `--config=fuzz` (clang, -fsanitize=fuzzer). tools/fuzz/run_all.sh
    builds and runs every target tagged "fuzzer".
  - `npy_fuzzer_regression_test`: the same .cc files with replay_main.cc instead of libFuzzer,
    in the normal suite (and, being LibTorch-free, under tools/sanitize.sh's ASan/UBSan). It
    replays seeds/npy_fuzzer/ and regressions/npy_fuzzer/ -- every input that ever crashed the
    target is kept there.
"""

def genesis_fuzzer(name, srcs, deps = [], size = "small"):
    deps = deps + ["//tools/fuzz:fuzz_util"]
    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual", "fuzzer"],
        testonly = True,
    )
    dirs = []
    data = []
    for kind in ["seeds", "regressions"]:
        files = native.glob(["%s/%s/**" % (kind, name)])
        if files:
            dirs.append("%s/%s/%s" % (native.package_name(), kind, name))
        for f in files:
            if not f.endswith(".hex"):
                data.append(f)
                continue
            # A binary input kept as hex text: decoded beside it, under its own name.
            native.genrule(
                name = "%s_%s" % (name, f.replace("/", "_").replace(".", "_").replace("^", "_")),
                srcs = [f],
                outs = [f[:-len(".hex")]],
                tools = ["//tools/fuzz:unhex.py"],
                cmd = "/usr/bin/python3 $(location //tools/fuzz:unhex.py) $< $@",
                testonly = True,
            )
            data.append(f[:-len(".hex")])
    native.cc_test(
        name = name + "_regression_test",
        size = size,
        srcs = srcs + ["//tools/fuzz:replay_main.cc"],
        deps = deps,
        data = data,
        args = dirs,
    )
