"""Repository rule exposing LibTorch as @torch//:torch.

By default it uses Debian's libtorch-dev (CPU-only LibTorch 1.13 under /usr). To build against
another LibTorch -- for instance the CUDA build from pytorch.org unpacked in /opt/libtorch -- set
GENESIS_LIBTORCH to its root (the folder holding include/ and lib/) when running bazel:

    GENESIS_LIBTORCH=/opt/libtorch bazel build //tools:genesis

or put `build --repo_env=GENESIS_LIBTORCH=/opt/libtorch` into user.bazelrc. The rule links
libtorch_cuda/libc10_cuda too when the folder has them, wrapped in --push-state,--no-as-needed because LibTorch
registers its backends in static initialisers.
"""

def _libtorch_repository_impl(ctx):
    root = ctx.os.environ.get("GENESIS_LIBTORCH", "").strip()
    if root:
        lib = root + "/lib"
        if not ctx.path(root + "/include/torch/csrc/api/include/torch/torch.h").exists:
            fail("GENESIS_LIBTORCH=%s does not look like a LibTorch root: " % root +
                 "include/torch/csrc/api/include/torch/torch.h is missing")
        ctx.symlink(root + "/include", "include")
        libs = ["torch", "torch_cpu", "c10"]
        for extra in ["torch_cuda", "c10_cuda"]:
            if ctx.path(lib + "/lib" + extra + ".so").exists:
                libs.append(extra)
        linkopts = ["-L" + lib, "-Wl,-rpath," + lib]
        hdrs = 'glob(["include/**/*.h", "include/**/*.hpp", "include/**/*.cuh"])'
        includes = '["include", "include/torch/csrc/api/include"]'
    else:
        api = "/usr/include/torch/csrc/api/include"
        if not ctx.path(api + "/torch/torch.h").exists:
            fail("Debian LibTorch headers not found at %s: run tools/setup.sh " % api +
                 "(package libtorch-dev) or set GENESIS_LIBTORCH")
        ctx.symlink(api, "api_include")
        libs = ["torch", "torch_cpu", "c10"]
        linkopts = []
        hdrs = 'glob(["api_include/**/*.h"])'
        includes = '["api_include"]'
    linkopts = linkopts + ["-Wl,--push-state,--no-as-needed"] + ["-l" + l for l in libs] + ["-Wl,--pop-state"]
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "torch",
    hdrs = {hdrs},
    includes = {includes},
    linkopts = {linkopts} + ["-lpthread"],
)
""".format(hdrs = hdrs, includes = includes, linkopts = repr(linkopts)))

libtorch_repository = repository_rule(
    implementation = _libtorch_repository_impl,
    environ = ["GENESIS_LIBTORCH"],
    local = True,
)
