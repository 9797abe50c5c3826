"""The repositories this project's BUILD files use, for a WORKSPACE.

This project's own WORKSPACE calls it, and so does a downstream workspace
that builds tools with its own plugins (see README, "Adding a plugin from
outside this repository"):

    local_repository(name = "kd", path = "path/to/kd")
    load("@kd//:repositories.bzl", "kd_repositories")
    kd_repositories(kd_path = "path/to/kd")

Nothing here downloads anything: every repository is a local directory.
"""

load("//third_party:libtorch.bzl", "libtorch_repository")

def kd_repositories(kd_path = "."):
    """Declares @rules_cc, @rules_java, @remote_coverage_tools, @sys and @libtorch.

    Args:
      kd_path: this repository's directory, absolute or relative to the
        calling WORKSPACE's directory ("." in this repository itself).
    """

    # Bazel 4.2.3's built-in WORKSPACE suffix declares @rules_cc and
    # @rules_java as http_archive()s (GitHub); declaring them first makes its
    # maybe() calls no-ops.
    # * rules_cc: Debian's bazel-rules-cc (0.0.4) is too NEW for Bazel 4.2.3
    #   (it loads `use_cpp_toolchain` from @bazel_tools), so an in-tree stub
    #   forwards to the native C++ rules.
    # * rules_java: Debian's bazel-rules-java 4.0.0 works as is. It is only
    #   needed because @bazel_tools//tools/jdk is parsed while resolving
    #   toolchains, even for pure C++ builds.
    # * platforms: Bazel 4.2.3 maps @platforms to <install_base>/platforms
    #   (bazel-bootstrap-data); nothing to declare.
    native.local_repository(
        name = "rules_cc",
        path = kd_path + "/third_party/rules_cc_stub",
    )
    native.local_repository(
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )

    # Every *_test rule has implicit deps on @remote_coverage_tools (a
    # download in upstream Bazel). Only `bazel coverage` uses it; stub it out.
    native.local_repository(
        name = "remote_coverage_tools",
        path = kd_path + "/third_party/remote_coverage_tools_stub",
    )

    # System libraries from Debian packages (libtorch, Abseil, gflags, glog,
    # GoogleTest, ...; scripts/setup.sh installs them). One repository rooted
    # at /usr; its BUILD file (third_party/sys.BUILD) maps the libraries in
    # /usr/lib/x86_64-linux-gnu and the one extra libtorch include dir.
    # Headers directly in /usr/include need no declaration: that directory is
    # one of the toolchain's builtin include directories.
    native.new_local_repository(
        name = "sys",
        path = "/usr",
        build_file = str(Label("//third_party:sys.BUILD")),
    )

    # The libtorch every target links, @libtorch//:torch: Debian's (an alias
    # of @sys//:torch) unless --repo_env=KD_LIBTORCH=<dir> names an unpacked
    # libtorch zip or pip torch/ directory (third_party/libtorch.bzl,
    # docs/gpu.md).
    libtorch_repository(name = "libtorch")
