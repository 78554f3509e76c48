"""Build macros for Genesis.

genesis_plugin: one plugin in one rule -- its options proto library, its alwayslink library
    and its test, tagged so that the package's collection picks it up.
genesis_plugin_collection: the package's `all`, every genesis_plugin declared above it.
genesis_proto_library: runs Debian's protoc (no @com_google_protobuf offline) and wraps the
    generated .pb.h/.pb.cc in a cc_library. Protos import each other by workspace-relative path
    ("core/proto/experiment.proto") and google/protobuf/*.proto from /usr/include.

Adding a plugin (CONTRIBUTING.md walks through one of each kind):

    # plugins/pretext/BUILD.bazel -- beside flip.cc, flip.proto and flip_test.cc
    genesis_plugin(
        name = "flip",
        hdrs = ["flip.h"],            # only if other plugins call into it
        deps = ["//core:pretext_task", ...],
        test_deps = [":all", ...],
    )
    ...
    genesis_plugin_collection(name = "all")   # last rule of the file, already there

Conformance: what every plugin must satisfy
-------------------------------------------
Checked by the compiler (the registration macros in core/registry.h and the kinds' headers):
  * The .cc registers the plugin once, at the bottom, with its kind's macro, e.g.
    GENESIS_REGISTER_PRETEXT_TASK(Flip, "flip", FlipOptions, "one-line description").
    The plugin derives from the kind's base class; Options is a protobuf message; the plugin has
    `explicit Plugin(const Options&)` or `static absl::StatusOr<std::unique_ptr<Plugin>>
    Create(const Options&)`, and may have `static absl::Status Validate(const Options&)`.
Checked at start-up: a registered name is unique within its kind (a duplicate is fatal).
Checked by //tests:conformance_test for every plugin linked into //plugins:all and
//core/stages:all:
  * the description is not empty;
  * it builds from default options (an empty `options`), with two stated exceptions:
      - dataset_source: every source must refuse its defaults, with InvalidArgument naming
        `root` ("root: must be set"): a dataset has no default location;
      - stage: may refuse only with InvalidArgument "<slot>: required" for a plugin slot that
        has no sensible default (the transfer stage's `task`); at most one stage does;
  * normalization: the layer keeps the (N, C, H, W) shape.
Conventions (reviewed, not tested):
  * Target name = file stem; the registered name (what users type in textprotos, short
    snake_case) is the stem too unless it reads badly (no_norm.cc registers "none").
  * Its options message (`...Options`, package genesis, proto2) lives in `<name>.proto` beside
    the .cc, every field commented (meaning, unit, default); options a run could not survive
    are refused by Validate() (bounds), which touches no data. A field naming a file or folder
    read from outside the run carries `[(input_path) = true]` (core/proto/plugin_spec.proto).
  * The .cc opens with an example textproto snippet of its slot.
  * Library code shared by several plugins of a package is a plain cc_library, not a plugin.
Commands and benches (GENESIS_REGISTER_COMMAND / GENESIS_REGISTER_BENCH, core/command.h,
core/bench.h) are genesis_plugin targets too, for alwayslink and the collection; they have no
options message and the conformance test does not see them.
"""

# The tag genesis_plugin puts on plugin libraries and genesis_plugin_collection collects.
PLUGIN_TAG = "genesis_plugin"

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

def _unique(labels):
    """`labels` without repeats, first occurrence kept (Bazel refuses duplicate deps)."""
    out = []
    for label in labels:
        if label not in out:
            out.append(label)
    return out

def genesis_plugin(
        name,
        srcs = None,
        deps = [],
        proto_deps = [],
        test_srcs = None,
        test_deps = [],
        test_data = [],
        test_size = None,
        tags = [],
        visibility = None,
        **kwargs):
    """One plugin (or registered command/bench): proto, alwayslink library, test, collection tag.

    Declares, from the files beside the BUILD file:
      `<name>_proto`  genesis_proto_library of `<name>.proto`, if that file exists;
      `<name>`        cc_library of `srcs` with alwayslink = 1 (static registration survives
                      linking) depending on `<name>_proto` and `deps`, tagged PLUGIN_TAG so
                      that genesis_plugin_collection() lists it;
      `<name>_test`   cc_test of `test_srcs` (default `<name>_test.cc` if it exists), depending
                      on `<name>`, `<name>_proto`, @gtest//:gtest_main and `test_deps`.

    Args:
      name: the plugin's file stem, by convention also its registered name.
      srcs: default [`<name>.cc`].
      deps: what the .cc includes besides its own options (e.g. "//core:pretext_task").
      proto_deps: proto libraries `<name>.proto` imports (e.g. "//core/proto:plugin_spec_proto"
        for the `input_path` field option).
      test_srcs: default [`<name>_test.cc`] if that file exists; [] for no test.
      test_deps: further deps of the test (often ":all" to create plugins by name).
      test_data: the test's data.
      test_size: the test's size (Bazel's default if None).
      tags: further tags of the library.
      visibility: of the library and proto library.
      **kwargs: further cc_library attributes of the plugin (hdrs, linkopts, ...).
    """
    if srcs == None:
        srcs = [name + ".cc"]
    proto = native.glob([name + ".proto"], allow_empty = True)
    own_proto = []
    if proto:
        genesis_proto_library(
            name = name + "_proto",
            srcs = proto,
            deps = proto_deps,
            visibility = visibility,
        )
        own_proto = [":" + name + "_proto"]
    elif proto_deps:
        fail("genesis_plugin(%s): proto_deps given but there is no %s.proto" % (name, name))
    native.cc_library(
        name = name,
        srcs = srcs,
        deps = _unique(own_proto + deps),
        alwayslink = 1,
        tags = tags + [PLUGIN_TAG],
        visibility = visibility,
        **kwargs
    )

    if test_srcs == None:
        test_srcs = native.glob([name + "_test.cc"], allow_empty = True)
    if not test_srcs:
        if test_deps or test_data or test_size:
            fail("genesis_plugin(%s): test_* attributes given but no %s_test.cc" % (name, name))
        return
    test_kwargs = {}
    if test_size:
        test_kwargs["size"] = test_size
    if test_data:
        test_kwargs["data"] = test_data
    native.cc_test(
        name = name + "_test",
        srcs = test_srcs,
        deps = _unique([":" + name] + own_proto + test_deps + ["@gtest//:gtest_main"]),
        **test_kwargs
    )

def genesis_plugin_collection(name = "all", deps = [], visibility = None):
    """A cc_library `name` depending on every genesis_plugin declared above it in this package.

    Call it once, as the last plugin rule of the BUILD file (rules declared after it are not
    seen). Tests of the package may depend on it even if declared above it.

    Args:
      name: by convention "all" (the kind's kTarget, e.g. "//plugins/pretext:all").
      deps: registered things of other packages this collection also links (e.g. commands).
      visibility: as usual.
    """
    plugins = sorted([
        ":" + rule_name
        for rule_name, rule in native.existing_rules().items()
        if PLUGIN_TAG in rule.get("tags", [])
    ])
    if not plugins:
        fail("genesis_plugin_collection(%s): no genesis_plugin declared above it" % name)
    native.cc_library(
        name = name,
        deps = plugins + deps,
        visibility = visibility,
    )
