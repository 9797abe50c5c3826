#!/usr/bin/env python3
"""Writes a CMakeLists.txt for the tools, generated from the Bazel graph.

For machines without Bazel (the GPU machine of scripts/gpu_check.sh): the
build description stays the BUILD files; this script turns what `bazel query
--output=xml` says about the tools' dependencies into CMake, so there is no
second description to keep in step.

  python3 scripts/gen_cmake.py [--out DIR] [--xml FILE] [TARGET...]

Default targets: the six tools and //tests/tools:libtorch_smoke. Writes
DIR/CMakeLists.txt (default out/cmake). What it emits:
* one OBJECT library per in-repository cc_library/cc_binary/cc_test with
  sources (copts, defines and local_defines as in Bazel; defines propagate to
  dependents), include dir = the repository root;
* one executable per requested binary, linking the objects of every library
  in its closure: every plugin registers (alwayslink), whatever the order;
* external dependencies mapped: libtorch -> find_package(Torch)
  (TORCH_LIBRARIES, TORCH_CXX_FLAGS), the Debian libraries (@sys//:absl,
  :gflags, :glog, :png, ...) -> files under ${KD_DEPS_PREFIX}/usr/include and
  ${KD_DEPS_PREFIX}/usr/lib/x86_64-linux-gnu (unpacked .debs, see
  scripts/gpu_bundle.sh; "/" for the installed ones). An external label
  missing from EXTERNAL below stops the generator with its name;
* third_party/glog_shim in front of libtorch's headers when its c10 was
  built without glog (docs/gpu.md).

Configure and build:
  cmake -S out/cmake -B out/cmake/build -G Ninja -DTorch_DIR=<TorchConfig dir> \\
        -DKD_DEPS_PREFIX=<prefix> && ninja -C out/cmake/build train
"""
import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

DEFAULT_TARGETS = [
    "//tools:train",
    "//tools:evaluate",
    "//tools:dump_embeddings",
    "//tools:build_teacher_cache",
    "//tools:eval_loss",
    "//tools:plot_metrics",
    "//tests/tools:libtorch_smoke",
]

# External Bazel labels -> what they are in CMake: "torch" (find_package) or
# the library names under ${KD_DEPS_PREFIX}/usr/lib/x86_64-linux-gnu (a
# trailing * globs). Headers of all of them: ${KD_DEPS_PREFIX}/usr/include.
EXTERNAL = {
    "@libtorch//:torch": "torch",
    "@sys//:torch": "torch",
    "@sys//:absl": ["libabsl_*.so"],
    "@sys//:gflags": ["libgflags.so"],
    "@sys//:glog": ["libglog.so", "libgflags.so"],
    "@sys//:png": ["libpng16.so"],
    "@sys//:turbojpeg": ["libturbojpeg.so"],
    "@sys//:zlib": ["libz.so"],
    "@sys//:cairo": ["libcairo.so"],
    "@sys//:stb": ["libstb.so"],
}

SOURCE_EXTENSIONS = (".cc", ".cpp", ".c")


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def query_xml(targets):
    """bazel query --output=xml over the targets' C++ closure (repo + external)."""
    union = " + ".join(targets)
    expr = 'kind("cc_(library|binary|test)", deps(%s))' % union
    return subprocess.run(
        ["bazel", "query", "--output=xml", expr],
        cwd=repo_root(), check=True, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL).stdout


def label_to_path(label):
    """//kd/data:loader.cc -> kd/data/loader.cc"""
    pkg, _, name = label[2:].partition(":")
    return os.path.join(pkg, name) if pkg else name


def parse(xml_text):
    """In-repository cc rules: {label: {kind, srcs, copts, defines, ...}}."""
    rules = {}
    for rule in ET.fromstring(xml_text).findall("rule"):
        label = rule.get("name")
        if not label.startswith("//"):
            continue
        r = {"kind": rule.get("class"), "srcs": [], "copts": [], "defines": [],
             "local_defines": [], "linkopts": [], "deps": []}
        for attr in rule:
            name = attr.get("name")
            if attr.tag == "list" and name in r:
                r[name] = [x.get("value") for x in attr]
            elif attr.tag == "list" and name in ("includes", "textual_hdrs"):
                if len(attr):
                    sys.exit("gen_cmake: %s sets %s, which the generator does "
                             "not handle yet" % (label, name))
            elif attr.tag == "string" and name in ("strip_include_prefix",
                                                   "include_prefix"):
                sys.exit("gen_cmake: %s sets %s, which the generator does not "
                         "handle yet" % (label, name))
        rules[label] = r
    return rules


def closure(rules, label, seen=None):
    """label and every in-repository rule it depends on, depth first."""
    seen = [] if seen is None else seen
    if label in seen:
        return seen
    seen.append(label)
    for dep in rules[label]["deps"]:
        if dep.startswith("//"):
            closure(rules, dep, seen)
    return seen


def externals(rules, labels):
    """The external labels the rules in `labels` depend on directly."""
    found = []
    for label in labels:
        for dep in rules[label]["deps"]:
            if dep.startswith("//") or dep in found:
                continue
            if dep not in EXTERNAL:
                sys.exit("gen_cmake: %s depends on %s; add it to EXTERNAL in "
                         "scripts/gen_cmake.py" % (label, dep))
            found.append(dep)
    return found


def target_name(label):
    """//kd/data:loader -> kd_data_loader"""
    return label[2:].replace("/", "_").replace(":", "__").replace("-", "_")


def cmake_list(items, indent="  "):
    return "".join("\n%s%s" % (indent, i) for i in items)


HEADER = """\
# Generated by scripts/gen_cmake.py from the Bazel graph of:
#   {targets}
# Do not edit: change the BUILD files and generate again.
cmake_minimum_required(VERSION 3.18)
project(kd_generated LANGUAGES C CXX)

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
if(NOT CMAKE_BUILD_TYPE)
  # What `bazel build -c opt` compiles with.
  set(CMAKE_BUILD_TYPE Release)
endif()
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG")

set(KD_SOURCE_DIR "${{CMAKE_CURRENT_LIST_DIR}}/{source_dir}" CACHE PATH
    "the repository root")
set(KD_DEPS_PREFIX "/" CACHE PATH
    "root of the unpacked Debian libraries (usr/include, usr/lib/x86_64-linux-gnu)")
set(KD_DEPS_LIBDIR "${{KD_DEPS_PREFIX}}/usr/lib/x86_64-linux-gnu")
get_filename_component(kd_prefix "${{KD_DEPS_PREFIX}}" REALPATH)
if(kd_prefix STREQUAL "/")
  # The installed libraries: /usr/include is searched anyway, and naming it
  # with -isystem would break libstdc++'s #include_next.
  set(KD_DEPS_INCLUDE "")
else()
  set(KD_DEPS_INCLUDE "${{KD_DEPS_PREFIX}}/usr/include")
endif()

find_package(Torch REQUIRED)
message(STATUS "kd: libtorch ${{Torch_VERSION}} from ${{Torch_DIR}}, "
        "TORCH_CXX_FLAGS ${{TORCH_CXX_FLAGS}}")

# c10 without glog (official and pip builds) defines LOG, CHECK, ... itself:
# third_party/glog_shim, searched before libtorch's headers, gives them back
# to glog (docs/gpu.md).
set(KD_GLOG_SHIM "")
foreach(dir ${{TORCH_INCLUDE_DIRS}})
  if(EXISTS "${{dir}}/c10/macros/cmake_macros.h")
    file(STRINGS "${{dir}}/c10/macros/cmake_macros.h" kd_glog REGEX "^#define C10_USE_GLOG")
    if(NOT kd_glog)
      set(KD_GLOG_SHIM "${{KD_SOURCE_DIR}}/third_party/glog_shim")
    endif()
  endif()
endforeach()
message(STATUS "kd: glog shim: ${{KD_GLOG_SHIM}}")

# As @libtorch defines it in Bazel: CUDA code paths are compiled in.
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  add_compile_definitions(KD_WITH_CUDA=1)
  message(STATUS "kd: libtorch with CUDA: KD_WITH_CUDA=1")
endif()

# kd_deps_lib(<var> <file name or glob>): full paths under KD_DEPS_LIBDIR.
function(kd_deps_lib var pattern)
  file(GLOB found "${{KD_DEPS_LIBDIR}}/${{pattern}}")
  if(NOT found)
    message(FATAL_ERROR "kd: ${{KD_DEPS_LIBDIR}}/${{pattern}} not found: set "
            "KD_DEPS_PREFIX to the unpacked .debs of scripts/gpu_bundle.sh")
  endif()
  set(${{var}} ${{found}} PARENT_SCOPE)
endfunction()
"""

OBJECT_LIB = """
# {label}
add_library({name} OBJECT{srcs})
target_include_directories({name} BEFORE PRIVATE ${{KD_GLOG_SHIM}} "${{KD_SOURCE_DIR}}")
target_include_directories({name} SYSTEM PRIVATE ${{KD_DEPS_INCLUDE}})
"""


def generate(rules, targets, source_dir):
    out = [HEADER.format(targets=" ".join(targets), source_dir=source_dir)]
    libs = {}  # external pattern -> CMake variable
    for label in sorted(rules):
        for dep in externals(rules, [label]):
            if EXTERNAL[dep] != "torch":
                for pattern in EXTERNAL[dep]:
                    libs.setdefault(pattern, "KD_LIB_" + pattern.replace(
                        "*", "X").replace(".", "_").upper())
    for pattern, var in sorted(libs.items()):
        out.append('kd_deps_lib(%s "%s")\n' % (var, pattern))

    # Objects: every rule with sources.
    with_objects = []
    for label in sorted(rules):
        r = rules[label]
        srcs = [label_to_path(s) for s in r["srcs"]
                if s.startswith("//") and s.endswith(SOURCE_EXTENSIONS)]
        if not srcs:
            continue
        with_objects.append(label)
        name = target_name(label)
        out.append(OBJECT_LIB.format(
            label=label, name=name,
            srcs=cmake_list('"${KD_SOURCE_DIR}/%s"' % s for s in srcs)))
        deps = closure(rules, label)
        defines = list(r["local_defines"])
        for d in deps:
            defines += [x for x in rules[d]["defines"] if x not in defines]
        if defines:
            out.append("target_compile_definitions(%s PRIVATE%s)\n" %
                       (name, cmake_list(defines)))
        if r["copts"]:
            out.append("target_compile_options(%s PRIVATE%s)\n" %
                       (name, cmake_list(r["copts"])))
        if any(EXTERNAL[e] == "torch" for e in externals(rules, deps)):
            # Includes, defines and TORCH_CXX_FLAGS of the imported target.
            out.append("target_link_libraries(%s PRIVATE torch)\n" % name)

    # Executables: the objects of the whole closure, then the libraries.
    for label in targets:
        r = rules[label]
        if r["kind"] not in ("cc_binary", "cc_test"):
            sys.exit("gen_cmake: %s is a %s, not a binary" % (label, r["kind"]))
        deps = closure(rules, label)
        exe = label.split(":")[1]
        objects = ["$<TARGET_OBJECTS:%s>" % target_name(d) for d in deps
                   if d in with_objects]
        link = []
        for ext in externals(rules, deps):
            if EXTERNAL[ext] == "torch":
                link.append("${TORCH_LIBRARIES}")
            else:
                link += ["${%s}" % libs[p] for p in EXTERNAL[ext]]
        linkopts = []
        for d in deps:
            linkopts += [o for o in rules[d]["linkopts"] if o not in linkopts]
        out.append("\n# %s\nadd_executable(%s%s)\n" % (label, exe, cmake_list(objects)))
        out.append("target_link_libraries(%s PRIVATE%s)\n" %
                   (exe, cmake_list(sorted(set(link)) + linkopts)))
        # DT_RPATH (not RUNPATH): the bundled libraries' own dependencies
        # (cairo's pixman, ...) are found next to them too.
        out.append('target_link_options(%s PRIVATE "-Wl,--disable-new-dtags"\n'
                   '  "-Wl,-rpath,${KD_DEPS_LIBDIR}" "-Wl,-rpath-link,${KD_DEPS_LIBDIR}")\n'
                   % exe)
    return "".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("targets", nargs="*", default=DEFAULT_TARGETS)
    p.add_argument("--out", default=os.path.join(repo_root(), "out", "cmake"))
    p.add_argument("--xml", help="read this query output instead of running bazel")
    a = p.parse_args()
    xml_text = open(a.xml, "rb").read() if a.xml else query_xml(a.targets)
    rules = parse(xml_text)
    for t in a.targets:
        if t not in rules:
            sys.exit("gen_cmake: %s is not in the query output" % t)
    os.makedirs(a.out, exist_ok=True)
    source_dir = os.path.relpath(repo_root(), os.path.abspath(a.out))
    text = generate(rules, a.targets, source_dir)
    with open(os.path.join(a.out, "CMakeLists.txt"), "w") as f:
        f.write(text)
    print("gen_cmake: %s/CMakeLists.txt: %d rules, %d executables" %
          (os.path.relpath(a.out), len(rules), len(a.targets)))


if __name__ == "__main__":
    main()
