// State dicts that move between this library and PyTorch, both ways.
//
// Names are the dotted PyTorch names of a module's parameters and buffers
// ("conv1.weight", "layer1.0.bn1.running_mean", ...); the zoo's backbones use
// the reference definitions' names, so:
//   - Python -> here: torch.save(dict(model.state_dict()), "w.pt") in Python,
//     then LoadStateDict(backbone, "w.pt"). (A plain dict: libtorch cannot
//     unpickle an OrderedDict.)
//   - here -> Python: SavePyTorchLoadable(backbone, "w.pt"), then in Python
//     model.load_state_dict(torch.jit.load("w.pt").state_dict(), strict=True).
// Both functions also read/write what the trainer keeps as checkpoints.
#ifndef BACKBONES_STATE_DICT_H_
#define BACKBONES_STATE_DICT_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kd {

using TensorDict = std::map<std::string, torch::Tensor>;

// Reads a file of named tensors, either
//   (a) a plain dict {str: Tensor} saved by Python's torch.save (zip format,
//       PyTorch >= 1.6); a dict whose "state_dict" or "model" entry is such a
//       dict (RepDistiller / mdistiller checkpoints re-saved as plain dicts)
//       is unwrapped; or
//   (b) a TorchScript archive (SavePyTorchLoadable, torch::save(module),
//       torch.jit.save): its parameters and buffers.
// A common DataParallel "module." prefix on every name is removed.
absl::StatusOr<TensorDict> ReadStateDict(const std::string& path);

// Copies `state` into the parameters and buffers of `module` (recursively,
// by dotted name), converting dtypes. Every parameter and buffer must be
// present with the same shape and `state` must hold nothing else; otherwise
// nothing is copied and the INVALID_ARGUMENT error lists the missing,
// unexpected and mis-shaped tensors. `source` names the origin in messages.
absl::Status LoadStateDict(torch::nn::Module& module, const TensorDict& state,
                           const std::string& source);

// ReadStateDict(path), then LoadStateDict.
absl::Status LoadStateDict(torch::nn::Module& module, const std::string& path);

// Writes the parameters and buffers of `module` as a TorchScript archive
// (torch::save's format) that Python reads with torch.jit.load(path) and
// whose state_dict() has the module's dotted names. Atomic: written to a
// temporary file in the same directory, then renamed over `path`.
absl::Status SavePyTorchLoadable(torch::nn::Module& module,
                                 const std::string& path);

// Writes `tensors` as a plain dict that Python's torch.load(path) reads (and
// ReadStateDict too). Atomic like SavePyTorchLoadable.
absl::Status WriteTensorDict(const TensorDict& tensors,
                             const std::string& path);

}  // namespace kd

#endif  // BACKBONES_STATE_DICT_H_
