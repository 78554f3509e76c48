"""Build macros for Genesis.

genesis_proto_library: runs Debian's protoc (no @com_google_protobuf offline) and wraps the
    generated .pb.h/.pb.cc in a cc_library. Protos import each other by workspace-relative path
    ("core/proto/experiment.proto") and google/protobuf/*.proto from /usr/include.
genesis_plugin: a plugin's cc_library, always alwayslink so its static registration survives
    linking (Caffe, MediaPipe and TF users all met "not registered" without it).
"""

def genesis_proto_library(name, srcs, deps = [], visibility = None):
    """cc_library `name` generated from the .proto files in `srcs`.

    Args:
      name: target name, by convention `<stem>_proto`.
      srcs: .proto files in this package.
      deps: other genesis_proto_library targets whose protos these import.
      visibility: as usual.
    """
    pkg = native.package_name()
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + [d + "_srcs" for d in deps],
        visibility = visibility,
    )
    stems = [s[:-len(".proto")] for s in srcs]
    outs = [s + ".pb.h" for s in stems] + [s + ".pb.cc" for s in stems]
    native.genrule(
        name = name + "_gen",
        srcs = [name + "_srcs"],
        outs = outs,
        cmd = "/usr/bin/protoc -I. -I/usr/include --cpp_out=$(GENDIR) " +
              " ".join([(pkg + "/" + s) if pkg else s for s in srcs]),
        message = "protoc " + name,
    )
    native.cc_library(
        name = name,
        srcs = [s + ".pb.cc" for s in stems],
        hdrs = [s + ".pb.h" for s in stems],
        deps = deps + ["@protobuf"],
        copts = ["-Wno-unused-parameter"],
        visibility = visibility,
    )

def genesis_plugin(name, srcs, deps = [], **kwargs):
    """A plugin library: one .cc with its registration macro, linked with alwayslink."""
    native.cc_library(
        name = name,
        srcs = srcs,
        deps = deps,
        alwayslink = 1,
        **kwargs
    )
