// The plugin registry: one factory per plugin kind (backbone, graph builder,
// loss, data set), filled at start-up by one registration line under each
// plugin class, looked up by name or by spec string.
//
// A plugin kind is a base class that names itself and its registry:
//
//   class Loss : public torch::nn::Module {
//    public:
//     static constexpr char kPluginKind[] = "loss";
//     using Registry = ::kd::Registry<Loss, const LossContext&>;
//     ...
//   };
//
// A plugin provides a doc line, its options and a factory, and registers:
//
//   class EgaLoss : public Loss {
//    public:
//     static constexpr char kDoc[] = "Embedding Graph Alignment (Ma et al.)";
//     static OptionSchema Schema();
//     static absl::StatusOr<std::unique_ptr<Loss>> Create(
//         const Options& options, const LossContext& context);
//     ...
//   };
//   KD_REGISTER(Loss, EgaLoss, "ega");
//
// and lives in its own `alwayslink = True` cc_library, so that linking the
// library is what makes the plugin available.
#ifndef KD_REGISTRY_H_
#define KD_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "glog/logging.h"
#include "kd/options.h"
#include "kd/status_macros.h"

namespace kd {
namespace internal {

// The registered name closest to `name` by edit distance, or "" when none is
// close enough to be a plausible typo.
std::string NearestName(absl::string_view name,
                        const std::vector<std::string>& candidates);

}  // namespace internal

template <typename Base, typename... Args>
class Registry {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Base>>(
      const Options&, Args...)>;

  struct Entry {
    std::string name;
    std::string doc;
    OptionSchema schema;
    Factory factory;
  };

  // The process-wide registry of this kind. Never destroyed, so registrars in
  // any translation unit may use it during static initialisation.
  static Registry& Global() {
    static Registry* const registry = new Registry();
    return *registry;
  }

  // Adds a plugin. Two plugins with one name is a build mistake: the process
  // stops at start-up and names both.
  void Register(Entry entry) {
    CHECK(!entry.name.empty()) << "empty " << Base::kPluginKind << " name";
    CHECK(entry.factory) << Base::kPluginKind << " '" << entry.name
                         << "' has no factory";
    auto [it, inserted] = entries_.emplace(entry.name, std::move(entry));
    LOG_IF(FATAL, !inserted)
        << "two " << Base::kPluginKind << " plugins are registered as '"
        << it->first << "' (" << it->second.doc << ")";
  }

  // The entry registered as `name`, or NOT_FOUND listing every known name.
  absl::StatusOr<const Entry*> Find(absl::string_view name) const {
    auto it = entries_.find(std::string(name));
    if (it != entries_.end()) return &it->second;
    const std::vector<std::string> names = Names();
    const std::string nearest = internal::NearestName(name, names);
    return absl::NotFoundError(absl::StrCat(
        "unknown ", Base::kPluginKind, " '", name, "'",
        nearest.empty() ? "" : absl::StrCat(" (did you mean '", nearest, "'?)"),
        "; known ", Base::kPluginKind, " names: ",
        names.empty() ? "(none linked in)" : absl::StrJoin(names, ", ")));
  }

  // Creates a plugin from a parsed spec.
  absl::StatusOr<std::unique_ptr<Base>> Create(const PluginSpec& spec,
                                               Args... args) const {
    KD_ASSIGN_OR_RETURN(const Entry* entry, Find(spec.name));
    KD_ASSIGN_OR_RETURN(Options options,
                        Options::Create(spec.name, entry->schema, spec.args));
    return entry->factory(options, std::forward<Args>(args)...);
  }

  // Creates a plugin from a spec string such as "ega:node=0.8,edge=0.24".
  absl::StatusOr<std::unique_ptr<Base>> Create(absl::string_view spec,
                                               Args... args) const {
    KD_ASSIGN_OR_RETURN(PluginSpec parsed, ParsePluginSpec(spec));
    return Create(parsed, std::forward<Args>(args)...);
  }

  bool Contains(absl::string_view name) const {
    return entries_.count(std::string(name)) > 0;
  }

  // Registered names, sorted.
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries_) names.push_back(name);
    return names;
  }

  // Every plugin with its doc line and options, for --help.
  std::string Help() const {
    std::string out;
    for (const auto& [name, entry] : entries_) {
      absl::StrAppend(&out, "  ", name, ": ", entry.doc, "\n",
                      DescribeOptions(entry.schema));
    }
    return out;
  }

 private:
  Registry() = default;
  std::map<std::string, Entry> entries_;
};

namespace internal {

// Registers one plugin from a static initialiser (see KD_REGISTER).
template <typename Base>
class Registrar {
 public:
  Registrar(std::string name, std::string doc, OptionSchema schema,
            typename Base::Registry::Factory factory) {
    Base::Registry::Global().Register({std::move(name), std::move(doc),
                                       std::move(schema), std::move(factory)});
  }
};

}  // namespace internal
}  // namespace kd

// Registers plugin class `Class` of kind `Base` under `name`. `Class` provides
// `kDoc`, `Schema()` and `Create(const Options&, <the kind's Args>...)`.
#define KD_REGISTER(Base, Class, name)                                \
  static const ::kd::internal::Registrar<Base> KD_INTERNAL_CONCAT(    \
      kd_registrar_, __COUNTER__)(name, Class::kDoc, Class::Schema(), \
                                  &Class::Create)

#endif  // KD_REGISTRY_H_
