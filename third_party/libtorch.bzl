"""@libtorch: the libtorch every target links (`@libtorch//:torch`).

Which libtorch is chosen by the repository environment variable KD_LIBTORCH
(docs/gpu.md, "Building against another libtorch"):

* unset or empty: `@libtorch//:torch` is an alias of `@sys//:torch`, Debian's
  libtorch-dev (CPU). Nothing else changes: compile and link command lines
  are the same as without this repository, so the disk cache keeps hitting.
* a directory laid out like the official libtorch zip or a pip `torch/`
  package directory:

      <dir>/include/                      ATen/ c10/ torch/csrc/api/include/ ...
      <dir>/lib/libtorch_cpu.so           libtorch.so libc10.so [libtorch_cuda.so
                                          libc10_cuda.so]
      <dir>/share/cmake/Torch/TorchConfig.cmake      (optional; lib/cmake too)
      <dir>/share/cmake/Caffe2/Caffe2Targets.cmake   (optional)

  include/ and lib/ are symlinked into the repository, each library the
  tools link gets a cc_import, and `torch` carries the defines the
  distribution's own CMake files give its users. With libtorch_cuda.so the
  CUDA libraries are linked --no-as-needed (else the linker may drop them and
  no CUDA kernel registers) and KD_WITH_CUDA=1 is defined.

    bazel build --repo_env=KD_LIBTORCH=/opt/libtorch //tools:train
    (or build:libtorch --repo_env=... in user.bazelrc, then --config=libtorch)

`@libtorch//:defs.bzl` holds TORCH_VERSION and WITH_CUDA for BUILD files
that need to know (e.g. to tag CUDA-only tests).
"""

# Libraries a libtorch user links, in the order TorchConfig.cmake lists them.
# Test and plugin libraries of the distribution (libtorchbind_test.so,
# libtorch_python.so, libshm.so, ...) are left out on purpose.
_CPU_LIBS = ["libtorch.so", "libtorch_cpu.so", "libc10.so"]
_CUDA_LIBS = ["libtorch_cuda.so", "libc10_cuda.so"]

# Compile definitions that change what libtorch headers declare, as
# Caffe2Targets.cmake spells them in INTERFACE_COMPILE_DEFINITIONS.
_KNOWN_DEFINES = [
    "USE_DISTRIBUTED",
    "USE_C10D_GLOO",
    "USE_C10D_NCCL",
    "USE_C10D_MPI",
    "USE_C10D_UCC",
    "USE_RPC",
    "USE_TENSORPIPE",
]

# What official Linux builds define; used when the CMake files are missing.
_FALLBACK_DEFINES = ["USE_DISTRIBUTED", "USE_C10D_GLOO", "USE_RPC", "USE_TENSORPIPE"]

def _child(path, relative):
    """path/relative (Bazel 4's get_child takes one name at a time)."""
    for part in relative.split("/"):
        path = path.get_child(part)
    return path

def _read_if_exists(rctx, path):
    return rctx.read(path) if path.exists else None

def _cmake_file(root, package, name):
    """<root>/share/cmake/<package>/<name>, else <root>/lib/cmake/..., else None."""
    for base in ["share/cmake", "lib/cmake"]:
        p = _child(root, "/".join([base, package, name]))
        if p.exists:
            return p
    return None

def _cxx11_abi(rctx, root):
    """The _GLIBCXX_USE_CXX11_ABI value from TORCH_CXX_FLAGS in TorchConfig.cmake."""
    config = _cmake_file(root, "Torch", "TorchConfig.cmake")
    text = rctx.read(config) if config else ""
    key = "-D_GLIBCXX_USE_CXX11_ABI="
    i = text.find(key)
    if i >= 0:
        value = text[i + len(key):i + len(key) + 1]
        if value in ["0", "1"]:
            return value
    print("KD_LIBTORCH: no _GLIBCXX_USE_CXX11_ABI in TORCH_CXX_FLAGS of " +
          "share/cmake/Torch/TorchConfig.cmake; assuming 1 (every libtorch " +
          "since 2.7 and Debian's)")
    return "1"

def _interface_defines(rctx, root):
    """The known USE_* defines in Caffe2Targets.cmake's INTERFACE_COMPILE_DEFINITIONS."""
    targets = _cmake_file(root, "Caffe2", "Caffe2Targets.cmake")
    if not targets:
        print("KD_LIBTORCH: no share/cmake/Caffe2/Caffe2Targets.cmake; " +
              "assuming the defines of official Linux builds: " +
              ";".join(_FALLBACK_DEFINES))
        return _FALLBACK_DEFINES
    found = {}
    for chunk in rctx.read(targets).split("INTERFACE_COMPILE_DEFINITIONS \"")[1:]:
        for token in chunk[:chunk.find("\"")].split(";"):
            if token in _KNOWN_DEFINES:
                found[token] = True
    return [d for d in _KNOWN_DEFINES if d in found]

def _torch_version(rctx, include):
    """"x.y.z" from torch/csrc/api/include/torch/version.h, or "unknown"."""
    text = _read_if_exists(rctx, _child(include, "torch/csrc/api/include/torch/version.h")) or ""
    for chunk in text.split("#define TORCH_VERSION")[1:]:
        # Skip TORCH_VERSION_MAJOR etc.; the value may follow a backslash.
        if chunk[:1] in [" ", "\\", "\t"] and chunk.count("\"") >= 2:
            return chunk.split("\"")[1]
    return "unknown"

def _defs_bzl(version, with_cuda, directory):
    return "\n".join([
        '"""Facts about the libtorch @libtorch//:torch links (generated)."""',
        "",
        "# The directory KD_LIBTORCH named; empty: Debian's libtorch-dev (@sys).",
        "LIBTORCH_DIR = %r" % directory,
        "TORCH_VERSION = %r" % version,
        "# libtorch_cuda.so is linked and KD_WITH_CUDA=1 is defined.",
        "WITH_CUDA = %s" % with_cuda,
        "",
    ])

def _system_libtorch(rctx):
    # No KD_LIBTORCH: forward to Debian's libtorch. An alias keeps every
    # command line as it was before @libtorch existed.
    include = rctx.path("/usr/include")
    rctx.file("defs.bzl", _defs_bzl(_torch_version(rctx, include), False, ""))
    rctx.file("BUILD.bazel", "\n".join([
        "# Generated by third_party/libtorch.bzl: KD_LIBTORCH is not set, so",
        "# this is Debian's libtorch-dev (third_party/sys.BUILD).",
        'package(default_visibility = ["//visibility:public"])',
        "",
        'exports_files(["defs.bzl"])',
        "",
        'alias(name = "torch", actual = "@sys//:torch")',
        "",
    ]))

def _fail_layout(directory, missing):
    fail("KD_LIBTORCH=%s: %s is missing; expected an unpacked libtorch zip " %
         (directory, missing) + "or a pip torch/ package directory " +
         "(include/, lib/libtorch_cpu.so; docs/gpu.md)")

def _libtorch_impl(rctx):
    directory = rctx.os.environ.get("KD_LIBTORCH", "").strip()
    if not directory:
        _system_libtorch(rctx)
        return
    if not directory.startswith("/"):
        fail("KD_LIBTORCH=%s: must be an absolute path" % directory)
    root = rctx.path(directory)
    if not root.exists:
        _fail_layout(directory, "the directory itself")
    for required in ["include", "include/torch/csrc/api/include", "lib", "lib/libtorch_cpu.so"]:
        if not _child(root, required).exists:
            _fail_layout(directory, required + ("" if required.endswith(".so") else "/"))
    rctx.symlink(root.get_child("include"), "include")
    rctx.symlink(root.get_child("lib"), "lib")

    libs = [name for name in _CPU_LIBS + _CUDA_LIBS if _child(root, "lib/" + name).exists]
    with_cuda = "libtorch_cuda.so" in libs
    defines = _interface_defines(rctx, root)
    defines.append("_GLIBCXX_USE_CXX11_ABI=" + _cxx11_abi(rctx, root))
    lib_dir = str(root.get_child("lib"))
    linkopts = [
        # Binaries find this libtorch outside bazel-bin too.
        "-Wl,-rpath," + lib_dir,
        # The libraries libtorch_cuda.so needs (libcudart, cuDNN, ...) sit
        # next to it or in its RUNPATH; let the linker find them there.
        "-Wl,-rpath-link," + lib_dir,
    ]
    if with_cuda:
        defines.append("KD_WITH_CUDA=1")

        # Nothing in this project calls into libtorch_cuda.so directly; its
        # static initialisers register the CUDA kernels. Link it even where
        # the toolchain passes --as-needed.
        linkopts += [
            "-Wl,--push-state,--no-as-needed",
            lib_dir + "/libtorch_cuda.so",
            "-Wl,--pop-state",
        ]

    macros = _read_if_exists(rctx, _child(root, "include/c10/macros/cmake_macros.h")) or ""
    with_glog = "#define C10_USE_GLOG" in macros
    includes = ["include", "include/torch/csrc/api/include"]
    shim_hdrs = []
    if not with_glog:
        # c10 built without glog (official and pip builds) defines LOG,
        # CHECK, ... itself; the shim in front of include/ hands them back to
        # glog (third_party/glog_shim, docs/gpu.md).
        shim = rctx.path(Label("//third_party:glog_shim/c10/util/logging_is_not_google_glog.h"))
        rctx.symlink(shim, "glog_shim/c10/util/logging_is_not_google_glog.h")
        includes.insert(0, "glog_shim")
        shim_hdrs = ["glog_shim/c10/util/logging_is_not_google_glog.h"]

    # CUDA toolkit headers, for sources that include ATen/cuda or c10/cuda.
    cuda_home = rctx.os.environ.get("CUDA_HOME", "") or "/usr/local/cuda"
    if with_cuda and rctx.path(cuda_home + "/include/cuda_runtime_api.h").exists:
        rctx.symlink(rctx.path(cuda_home + "/include"), "cuda_include")
        includes.append("cuda_include")

    version = _torch_version(rctx, root.get_child("include"))
    rctx.file("defs.bzl", _defs_bzl(version, with_cuda, directory))
    build = [
        "# Generated by third_party/libtorch.bzl from KD_LIBTORCH=" + directory,
        "# libtorch %s, CUDA: %s, c10 with glog: %s." % (version, with_cuda, with_glog),
        'package(default_visibility = ["//visibility:public"])',
        "",
        'exports_files(["defs.bzl"])',
        "",
    ]
    for name in libs:
        build += [
            "cc_import(",
            '    name = "%s_so",' % name[len("lib"):-len(".so")],
            '    shared_library = "lib/%s",' % name,
            ")",
            "",
        ]
    header_globs = ["include/**/*" + ext for ext in [".h", ".hpp", ".cuh", ".inc", ".inl"]]
    if "cuda_include" in includes:
        header_globs += ["cuda_include/**/*.h", "cuda_include/**/*.hpp"]
    build += [
        "cc_library(",
        '    name = "torch",',
        "    hdrs = %r + glob(%r, allow_empty = True)," % (shim_hdrs, header_globs),
        "    defines = %r," % defines,
        "    includes = %r," % includes,
        "    linkopts = %r," % linkopts,
        "    deps = %r," % ([":" + n[len("lib"):-len(".so")] + "_so" for n in libs] + ["@sys//:glog"]),
        ")",
        "",
    ]
    rctx.file("BUILD.bazel", "\n".join(build))

libtorch_repository = repository_rule(
    implementation = _libtorch_impl,
    environ = ["KD_LIBTORCH", "CUDA_HOME"],
    local = True,
    doc = "@libtorch: Debian's libtorch (KD_LIBTORCH unset) or the one in $KD_LIBTORCH.",
)
