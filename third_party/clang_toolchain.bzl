"""Repository rule: a second autoconfigured C++ toolchain that compiles with Debian's clang.

libFuzzer (-fsanitize=fuzzer) exists only in clang, while everything else in Genesis builds
with the gcc toolchain Bazel autoconfigures. Rather than switching CC for the whole workspace
(which re-configures @local_config_cc and invalidates every compiled action), this rule runs
Bazel's own autoconfiguration a second time with clang as the compiler, as its own repository;
`--config=fuzz` in .bazelrc selects it with --crosstool_top. Bazel evaluates the rule only when
a build asks for it, so machines without clang build everything else as before.

Compiler: GENESIS_CLANG (a path), else clang-14, else clang on PATH.
"""

load("@bazel_tools//tools/cpp:cc_configure.bzl", "cc_autoconf_impl")

def _clang_cc_configure_impl(ctx):
    clang = ctx.os.environ.get("GENESIS_CLANG", "").strip()
    if not clang:
        for name in ["clang-14", "clang"]:
            found = ctx.which(name)
            if found:
                clang = str(found)
                break
    if not clang:
        fail("clang not found: install the Debian packages clang-14 and libclang-rt-14-dev " +
             "(tools/setup.sh does) or set GENESIS_CLANG; only --config=fuzz needs it")
    cc_autoconf_impl(ctx, overriden_tools = {"gcc": clang})

clang_cc_configure = repository_rule(
    implementation = _clang_cc_configure_impl,
    environ = ["GENESIS_CLANG", "PATH"],
    configure = True,
    local = True,
)
