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
#include "kd/status_macros.h"

namespace kd {
namespace {

std::string ShapeString(const torch::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]");
}

// At most `limit` names, then "... and N more".
std::string JoinCapped(const std::vector<std::string>& names, size_t limit) {
  if (names.size() <= limit) return absl::StrJoin(names, ", ");
  std::vector<std::string> head(names.begin(), names.begin() + limit);
  return absl::StrCat(absl::StrJoin(head, ", "), ", ... and ",
                      names.size() - limit, " more");
}

absl::StatusOr<std::vector<char>> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
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
absl::StatusOr<TensorDict> DictOfTensors(const c10::IValue& value,
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
  TensorDict tensors;
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
TensorDict StripDataParallelPrefix(TensorDict tensors) {
  constexpr absl::string_view kPrefix = "module.";
  if (tensors.empty()) return tensors;
  for (const auto& [name, tensor] : tensors) {
    if (!absl::StartsWith(name, kPrefix)) return tensors;
  }
  TensorDict stripped;
  for (auto& [name, tensor] : tensors) {
    stripped.emplace(name.substr(kPrefix.size()), std::move(tensor));
  }
  return stripped;
}

// Writes with `write(tmp_path)`, then renames over `path`.
absl::Status WriteAtomically(
    const std::string& path,
    const std::function<void(const std::string&)>& write) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  try {
    write(tmp);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("cannot write ", path, ": ", e.what()));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path,
                                            ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TensorDict> ReadStateDict(const std::string& path) {
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
        e.what()));
  }
  TensorDict tensors;
  if (is_torchscript) {
    try {
      torch::jit::Module module = torch::jit::load(path);
      for (const auto& p : module.named_parameters(/*recurse=*/true)) {
        tensors.emplace(p.name, p.value);
      }
      for (const auto& b : module.named_buffers(/*recurse=*/true)) {
        tensors.emplace(b.name, b.value);
      }
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": cannot read the TorchScript archive: ", e.what()));
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
          e.what()));
    }
    KD_ASSIGN_OR_RETURN(tensors, DictOfTensors(value, path, 0));
  }
  return StripDataParallelPrefix(std::move(tensors));
}

absl::Status LoadStateDict(torch::nn::Module& module, const TensorDict& state,
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
          it->second.defined() ? ShapeString(it->second) : "undefined",
          ", model ", ShapeString(target), ")"));
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
  KD_ASSIGN_OR_RETURN(TensorDict state, ReadStateDict(path));
  return LoadStateDict(module, state, path);
}

absl::Status SavePyTorchLoadable(torch::nn::Module& module,
                                 const std::string& path) {
  return WriteAtomically(path, [&module](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    module.save(archive);
    archive.save_to(tmp);
  });
}

absl::Status WriteTensorDict(const TensorDict& tensors,
                             const std::string& path) {
  return WriteAtomically(path, [&tensors](const std::string& tmp) {
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto& [name, tensor] : tensors) dict.insert(name, tensor);
    const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw std::runtime_error("write failed");
  });
}

}  // namespace kd
