#include "backbones/state_dict.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kd/base/files.h"
#include "kd/base/tensor_text.h"
#include "kd/base/torch_errors.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

// At most `limit` names, then "... and N more".
std::string JoinCapped(const std::vector<std::string>& names, size_t limit) {
  if (names.size() <= limit) return absl::StrJoin(names, ", ");
  std::vector<std::string> head(names.begin(), names.begin() + limit);
  return absl::StrCat(absl::StrJoin(head, ", "), ", ... and ",
                      names.size() - limit, " more");
}

absl::StatusOr<std::vector<char>> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("checkpoint ", path, ": no such file or not readable"));
  }
  const std::streamsize size = in.tellg();
  in.seekg(0);
  std::vector<char> bytes(
      static_cast<size_t>(std::max<std::streamsize>(size, 0)));
  if (size < 0 || !in.read(bytes.data(), size)) {
    return absl::DataLossError(absl::StrCat("cannot read ", path));
  }
  return bytes;
}

// A dict {str: Tensor} from an unpickled IValue, unwrapping one level of
// {"state_dict": ...} / {"model": ...}.
absl::StatusOr<TensorMap> DictOfTensors(const c10::IValue& value,
                                        const std::string& path, int depth) {
  if (!value.isGenericDict()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected a dict of tensors, found a pickled ",
                     value.tagKind()));
  }
  const c10::Dict<c10::IValue, c10::IValue> dict = value.toGenericDict();
  if (depth == 0) {
    for (const char* key : {"state_dict", "model"}) {
      auto it = dict.find(c10::IValue(std::string(key)));
      if (it != dict.end() && it->value().isGenericDict()) {
        return DictOfTensors(it->value(), path, depth + 1);
      }
    }
  }
  TensorMap tensors;
  std::vector<std::string> not_tensors;
  for (const auto& entry : dict) {
    if (!entry.key().isString()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": expected string keys, found a ", entry.key().tagKind()));
    }
    const std::string name = entry.key().toStringRef();
    if (!entry.value().isTensor()) {
      not_tensors.push_back(
          absl::StrCat(name, " (", entry.value().tagKind(), ")"));
      continue;
    }
    tensors.emplace(name, entry.value().toTensor());
  }
  if (!not_tensors.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": entries that are not tensors: ", JoinCapped(not_tensors, 20)));
  }
  return tensors;
}

// Removes a "module." prefix that every name carries (nn.DataParallel).
TensorMap StripDataParallelPrefix(TensorMap tensors) {
  constexpr absl::string_view kPrefix = "module.";
  if (tensors.empty()) return tensors;
  for (const auto& [name, tensor] : tensors) {
    if (!absl::StartsWith(name, kPrefix)) return tensors;
  }
  TensorMap stripped;
  for (auto& [name, tensor] : tensors) {
    stripped.emplace(name.substr(kPrefix.size()), std::move(tensor));
  }
  return stripped;
}

}  // namespace

absl::StatusOr<TensorMap> LoadTensorMap(const std::string& path) {
  KD_ASSIGN_OR_RETURN(std::vector<char> bytes, ReadBytes(path));
  // Both formats are zip archives; a TorchScript one has constants.pkl.
  bool is_torchscript = false;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    is_torchscript = reader.hasRecord("constants.pkl");
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": not a PyTorch zip archive (expected torch.save of a plain dict, "
        "PyTorch >= 1.6, or a TorchScript/libtorch archive): ",
        ExceptionMessage(e)));
  }
  TensorMap tensors;
  if (is_torchscript) {
    try {
      torch::jit::Module module = torch::jit::load(path, torch::kCPU);
      for (const auto& p : module.named_parameters(/*recurse=*/true)) {
        tensors.emplace(p.name, p.value);
      }
      for (const auto& b : module.named_buffers(/*recurse=*/true)) {
        tensors.emplace(b.name, b.value);
      }
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ": cannot read the TorchScript archive: ", ExceptionMessage(e)));
    }
  } else {
    c10::IValue value;
    try {
      value = torch::jit::pickle_load(bytes);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ": cannot unpickle (save a plain dict from Python: "
          "torch.save(dict(model.state_dict()), f); an OrderedDict or other "
          "Python classes cannot be read here): ",
          ExceptionMessage(e)));
    }
    KD_ASSIGN_OR_RETURN(tensors, DictOfTensors(value, path, 0));
  }
  return StripDataParallelPrefix(std::move(tensors));
}

absl::Status LoadStateDict(torch::nn::Module& module, const TensorMap& state,
                           const std::string& source) {
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    targets.emplace_back(p.key(), p.value());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    targets.emplace_back(b.key(), b.value());
  }
  std::vector<std::string> missing, mismatched, unexpected;
  std::map<std::string, bool> used;
  for (const auto& [name, target] : targets) {
    auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name);
      continue;
    }
    used[name] = true;
    if (!it->second.defined() || it->second.sizes() != target.sizes()) {
      mismatched.push_back(absl::StrCat(
          name, " (file ",
          it->second.defined() ? ShapeText(it->second) : "undefined",
          ", model ", ShapeText(target), ")"));
    }
  }
  for (const auto& [name, tensor] : state) {
    if (!used.count(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
    std::vector<std::string> parts;
    if (!missing.empty()) {
      parts.push_back(
          absl::StrCat(missing.size(), " missing: ", JoinCapped(missing, 30)));
    }
    if (!unexpected.empty()) {
      parts.push_back(absl::StrCat(
          unexpected.size(), " unexpected: ", JoinCapped(unexpected, 30)));
    }
    if (!mismatched.empty()) {
      parts.push_back(absl::StrCat(mismatched.size(), " with another shape: ",
                                   JoinCapped(mismatched, 30)));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the state dict does not match the model (",
                     targets.size(), " tensors in the model, ", state.size(),
                     " in the file); ", absl::StrJoin(parts, "; ")));
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : targets) target.copy_(state.at(name));
  return absl::OkStatus();
}

absl::Status LoadStateDict(torch::nn::Module& module, const std::string& path) {
  KD_ASSIGN_OR_RETURN(TensorMap state, LoadTensorMap(path));
  return LoadStateDict(module, state, path);
}

void AddModuleState(const torch::nn::Module& module, const std::string& prefix,
                    TensorMap* out) {
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    (*out)[prefix + p.key()] = p.value();
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    (*out)[prefix + b.key()] = b.value();
  }
}

absl::Status LoadModuleState(const TensorMap& in, const std::string& prefix,
                             const std::string& source,
                             torch::nn::Module* module) {
  TensorMap entries;
  for (auto it = in.lower_bound(prefix);
       it != in.end() && absl::StartsWith(it->first, prefix); ++it) {
    entries[it->first.substr(prefix.size())] = it->second;
  }
  return LoadStateDict(*module, entries,
                       prefix.empty()
                           ? absl::StrCat("checkpoint ", source)
                           : absl::StrCat("checkpoint ", source, " (entries ",
                                          prefix, "*, another architecture?)"));
}

absl::Status SavePyTorchLoadable(torch::nn::Module& module,
                                 const std::string& path) {
  return WriteFileAtomically(path, [&module](const std::string& temp) {
    torch::serialize::OutputArchive archive;
    module.save(archive);
    archive.save_to(temp);
    return absl::OkStatus();
  });
}

absl::Status SaveTensorMap(const std::string& path, const TensorMap& tensors) {
  // `cpu` keeps a second reference to every tensor while pickling: the
  // pickler then memoises them, which keeps the bytes of the file what they
  // have always been (scripts/same_results.sh compares files byte for byte).
  TensorMap cpu;
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : tensors) {
    cpu[name] = tensor.detach().to(torch::kCPU).contiguous();
    dict.insert(name, cpu[name]);
  }
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  return WriteFileAtomically(path,
                             absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace kd
