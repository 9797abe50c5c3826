// State dicts that move between this library and PyTorch, both ways, and the
// one type for named tensors (TensorMap) that checkpoints are made of.
//
// Names are the dotted PyTorch names of a module's parameters and buffers
// ("conv1.weight", "layer1.0.bn1.running_mean", ...); the zoo's backbones use
// the reference definitions' names, so:
//   - Python -> here: torch.save(dict(model.state_dict()), "w.pt") in Python,
//     then LoadStateDict(backbone, "w.pt"). (A plain dict: libtorch cannot
//     unpickle an OrderedDict.)
//   - here -> Python: SaveTensorMap of AddModuleState's entries (what the
//     trainer writes as <role>_final.pt), then in Python
//     model.load_state_dict(torch.load("w.pt"), strict=True); or
//     SavePyTorchLoadable(backbone, "w.pt"), then
//     model.load_state_dict(torch.jit.load("w.pt").state_dict(), strict=True).
#ifndef BACKBONES_STATE_DICT_H_
#define BACKBONES_STATE_DICT_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kd {

// Named tensors: a state dict, or a whole checkpoint (name-ordered).
using TensorMap = std::map<std::string, torch::Tensor>;

// Reads a file of named tensors, either
//   (a) a plain dict {str: Tensor} saved by Python's torch.save (zip format,
//       PyTorch >= 1.6); a dict whose "state_dict" or "model" entry is such a
//       dict (RepDistiller / mdistiller checkpoints re-saved as plain dicts)
//       is unwrapped; or
//   (b) a TorchScript archive (SavePyTorchLoadable, torch::save(module),
//       torch.jit.save): its parameters and buffers.
// A common DataParallel "module." prefix on every name is removed. A missing
// file is NOT_FOUND, a damaged one INVALID_ARGUMENT; both name the file.
absl::StatusOr<TensorMap> LoadTensorMap(const std::string& path);

// Writes `tensors` (detached, moved to the CPU) as a plain dict that Python's
// torch.load(path) reads (and LoadTensorMap too). Atomic: a temporary file
// next to `path`, renamed over it, so a reader never sees a half-written
// file.
absl::Status SaveTensorMap(const std::string& path, const TensorMap& tensors);

// Copies `state` into the parameters and buffers of `module` (recursively,
// by dotted name), converting dtypes. Every parameter and buffer must be
// present with the same shape and `state` must hold nothing else; otherwise
// nothing is copied and the INVALID_ARGUMENT error lists the missing,
// unexpected and mis-shaped tensors. `source` names the origin in messages.
absl::Status LoadStateDict(torch::nn::Module& module, const TensorMap& state,
                           const std::string& source);

// LoadTensorMap(path), then LoadStateDict.
absl::Status LoadStateDict(torch::nn::Module& module, const std::string& path);

// Adds every parameter and buffer of `module` as "<prefix><name>".
void AddModuleState(const torch::nn::Module& module, const std::string& prefix,
                    TensorMap* out);

// LoadStateDict on the entries of `in` under `prefix` (prefix removed): every
// tensor of the module must be present with its shape, and no other
// "<prefix>..." entry may exist; otherwise nothing is copied and the error
// (naming `source` and `prefix`) lists the missing, unexpected and
// mis-shaped tensors.
absl::Status LoadModuleState(const TensorMap& in, const std::string& prefix,
                             const std::string& source,
                             torch::nn::Module* module);

// Writes the parameters and buffers of `module` as a TorchScript archive
// (torch::save's format) that Python reads with torch.jit.load(path) and
// whose state_dict() has the module's dotted names. Atomic like
// SaveTensorMap.
absl::Status SavePyTorchLoadable(torch::nn::Module& module,
                                 const std::string& path);

}  // namespace kd

#endif  // BACKBONES_STATE_DICT_H_
