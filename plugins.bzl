"""Bazel macros for plugin libraries.

A plugin library holds classes that register themselves (KD_REGISTER) from
static initialisers, so it must be linked whole (alwayslink). A package's
bundle collects every plugin library declared in it, so adding a plugin is one
source file plus one kd_plugin target, with no list to edit:

    load("//:plugins.bzl", "kd_plugin", "kd_plugin_bundle")

    kd_plugin(
        name = "l1",
        srcs = ["l1.cc"],
        deps = [":loss"],
    )

    # Last in the file: every kd_plugin above.
    kd_plugin_bundle(name = "all_losses")
"""

_PLUGIN_TAG = "kd_plugin"

def kd_plugin(name, tags = [], **kwargs):
    """A cc_library of self-registering plugins (always linked whole)."""
    native.cc_library(
        name = name,
        alwayslink = True,
        tags = tags + [_PLUGIN_TAG],
        **kwargs
    )

def kd_plugin_bundle(name, **kwargs):
    """A cc_library depending on every kd_plugin declared before it in the package."""
    plugins = sorted([
        ":" + rule["name"]
        for rule in native.existing_rules().values()
        if _PLUGIN_TAG in rule.get("tags", [])
    ])
    native.cc_library(name = name, deps = plugins, **kwargs)
