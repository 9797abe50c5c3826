// eval_loss: evaluates registered loss specs on tensors from files and
// prints every term as JSON, optionally with the gradients with respect to
// the student tensors -- to check a loss against a Python reference.
//
//   bazel run //tools:eval_loss -- --loss='ega:node=0.8,edge=0.24'
//       --student_embed=xs.pt --teacher_embed=xt.pt --grad   (one line)
//
// Tensor files: a single tensor saved by Python's torch.save (zip format),
// or whitespace-separated text, one row per line (read as --text_dtype;
// labels and indices as int64). Float inputs keep their dtype; the losses
// run in that dtype (double inputs: double precision throughout).
// Output: {"loss": ..., "total": x, "terms": {"ega": x, "ega/node": x, ...},
//          "grads": {"student_embed": [[...]], ...}}   (grads with --grad)
// Errors (unreadable file, wrong shape, an input the loss needs but was
// not given) go to stderr with exit code 1.
#include <ATen/ATen.h>
#include <torch/serialize.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gflags/gflags.h"
#include "kd/base/torch_errors.h"
#include "kd/status_macros.h"
#include "kd/train/cli.h"
#include "losses/loss_set.h"

DEFINE_string(loss, "", "loss spec(s), ';'-separated, e.g. 'ce;ega:node=0.8'");
DEFINE_string(student_embed, "", "file: student node embeddings [B, Ds]");
DEFINE_string(teacher_embed, "", "file: teacher node embeddings [B, Dt]");
DEFINE_string(student_logits, "", "file: student logits [B, K]");
DEFINE_string(teacher_logits, "", "file: teacher logits [B, K]");
DEFINE_string(student_pooled, "", "file: student pooled features [B, Fs]");
DEFINE_string(teacher_pooled, "", "file: teacher pooled features [B, Ft]");
DEFINE_string(student_stages, "",
              "comma-separated files: student stage feature maps [B,C,H,W]");
DEFINE_string(teacher_stages, "",
              "comma-separated files: teacher stage feature maps [B,C,H,W]");
DEFINE_string(labels, "", "file: class labels [B] (int)");
DEFINE_string(indices, "", "file: data-set indices [B] (int)");
DEFINE_string(dataset_labels, "",
              "file: label of every training example (CRD's class sampling)");
DEFINE_int64(dataset_size, 0,
             "training examples (CRD); 0: the size of --dataset_labels, else "
             "max index + 1");
DEFINE_int64(num_classes, 0, "classes; 0: the width of the logits");
DEFINE_string(text_dtype, "double", "dtype of float text files: float|double");
DEFINE_bool(grad, false, "print gradients with respect to the student tensors");
DEFINE_string(grad_dir, "",
              "also write each student gradient to <dir>/<input>.grad.pt "
              "(torch.load-able)");
DEFINE_bool(eval_mode, false,
            "run the losses in eval mode (no CRD memory update, BN running "
            "stats)");
DEFINE_int64(seed, 0, "torch random seed (heads, memory banks, sampling)");
DEFINE_int64(epoch, 0,
             "training epoch the batch belongs to, from 1 (dkd's warm-up "
             "ramp); 0: outside training, no ramp");

namespace kd {
namespace {

absl::StatusOr<std::vector<char>> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

// A tensor from a torch.save file or a text file; `integer` reads text as
// int64 and flattens to 1-D (labels, indices).
absl::StatusOr<at::Tensor> LoadTensor(const std::string& flag,
                                      const std::string& path, bool integer) {
  KD_ASSIGN_OR_RETURN(std::vector<char> bytes, ReadBytes(path));
  at::Tensor t;
  if (bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' &&
      bytes[2] == 3 && bytes[3] == 4) {
    try {
      const c10::IValue value = torch::pickle_load(bytes);
      if (!value.isTensor()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", flag, "='", path, "' holds a ", value.tagKind(),
                         ", not a single tensor"));
      }
      t = value.toTensor();
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, "='", path, "' is not a readable torch.save file: ",
          std::string(ExceptionMessage(e)).substr(0, 300)));
    }
  } else {
    std::vector<double> values;
    int64_t rows = 0, cols = -1;
    std::istringstream text(std::string(bytes.begin(), bytes.end()));
    std::string line;
    int line_number = 0;
    while (std::getline(text, line)) {
      ++line_number;
      std::vector<absl::string_view> fields =
          absl::StrSplit(line, absl::ByAnyChar(" \t\r,"), absl::SkipEmpty());
      if (fields.empty()) continue;
      if (cols >= 0 && static_cast<int64_t>(fields.size()) != cols) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, "='", path, "' line ", line_number, " has ",
            fields.size(), " values; earlier rows have ", cols));
      }
      cols = fields.size();
      for (absl::string_view field : fields) {
        double v;
        if (!absl::SimpleAtod(field, &v)) {
          return absl::InvalidArgumentError(
              absl::StrCat("--", flag, "='", path, "' line ", line_number,
                           ": '", field, "' is not a number"));
        }
        values.push_back(v);
      }
      ++rows;
    }
    if (rows == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, "='", path, "' holds no values"));
    }
    t = at::tensor(values, at::kDouble).reshape({rows, cols});
    if (!integer) {
      t = t.to(FLAGS_text_dtype == "float" ? at::kFloat : at::kDouble);
    }
  }
  if (integer) {
    if (t.is_floating_point() && !t.eq(t.round()).all().item<bool>()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, "='", path, "' must hold integers"));
    }
    t = t.reshape({-1}).to(at::kLong);
  }
  return t.contiguous();
}

nlohmann::json ToJson(const at::Tensor& t) {
  if (t.dim() == 0) return t.item<double>();
  nlohmann::json out = nlohmann::json::array();
  for (int64_t i = 0; i < t.size(0); ++i) out.push_back(ToJson(t[i]));
  return out;
}

absl::Status Run() {
  if (FLAGS_loss.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--loss is required; registered losses:\n", LossSet::Help()));
  }
  if (FLAGS_text_dtype != "float" && FLAGS_text_dtype != "double") {
    return absl::InvalidArgumentError(
        "--text_dtype must be 'float' or 'double'");
  }
  torch::manual_seed(FLAGS_seed);
  // Student-side float tensors get gradients, by input name.
  std::map<std::string, at::Tensor> student_tensors;
  const auto load = [&](const std::string& flag, const std::string& path,
                        bool integer) -> absl::StatusOr<at::Tensor> {
    if (path.empty()) return at::Tensor();
    KD_ASSIGN_OR_RETURN(at::Tensor t, LoadTensor(flag, path, integer));
    if (!integer && flag.rfind("student", 0) == 0) {
      t = t.detach().requires_grad_(true);
      student_tensors[flag] = t;
    }
    return t;
  };
  LossInputs in;
  BackboneOutput student, teacher;
  KD_ASSIGN_OR_RETURN(in.student_embed,
                      load("student_embed", FLAGS_student_embed, false));
  KD_ASSIGN_OR_RETURN(in.teacher_embed,
                      load("teacher_embed", FLAGS_teacher_embed, false));
  KD_ASSIGN_OR_RETURN(in.student_logits,
                      load("student_logits", FLAGS_student_logits, false));
  KD_ASSIGN_OR_RETURN(in.teacher_logits,
                      load("teacher_logits", FLAGS_teacher_logits, false));
  KD_ASSIGN_OR_RETURN(student.pooled,
                      load("student_pooled", FLAGS_student_pooled, false));
  KD_ASSIGN_OR_RETURN(teacher.pooled,
                      load("teacher_pooled", FLAGS_teacher_pooled, false));
  KD_ASSIGN_OR_RETURN(in.labels, load("labels", FLAGS_labels, true));
  KD_ASSIGN_OR_RETURN(in.indices, load("indices", FLAGS_indices, true));
  KD_ASSIGN_OR_RETURN(at::Tensor dataset_labels,
                      load("dataset_labels", FLAGS_dataset_labels, true));
  for (auto [flag, files, output] :
       {std::make_tuple("student_stages", FLAGS_student_stages, &student),
        std::make_tuple("teacher_stages", FLAGS_teacher_stages, &teacher)}) {
    int k = 0;
    for (absl::string_view file :
         absl::StrSplit(files, ',', absl::SkipWhitespace())) {
      KD_ASSIGN_OR_RETURN(at::Tensor map, load(absl::StrCat(flag, k++),
                                               std::string(file), false));
      if (map.dim() != 4) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, " file '", file,
            "' must hold a [B, C, H, W] tensor "
            "(found ",
            map.dim(), " dimensions; text files cannot hold one)"));
      }
      output->stage_features.push_back(map);
    }
  }
  in.student = &student;
  in.teacher = &teacher;
  if (FLAGS_epoch < 0) {
    return absl::InvalidArgumentError("--epoch must be >= 0");
  }
  in.epoch = FLAGS_epoch;

  // Every float input must share one dtype: the losses run in it.
  at::ScalarType dtype = at::kFloat;
  bool have_dtype = false;
  for (const at::Tensor* t :
       {&in.student_embed, &in.teacher_embed, &in.student_logits,
        &in.teacher_logits, &student.pooled, &teacher.pooled}) {
    if (!t->defined()) continue;
    if (have_dtype && t->scalar_type() != dtype) {
      return absl::InvalidArgumentError(
          "all float inputs must have one dtype (float or double)");
    }
    dtype = t->scalar_type();
    have_dtype = true;
  }

  LossContext context;
  const auto width = [](const at::Tensor& t) {
    return t.defined() && t.dim() == 2 ? t.size(1) : 0;
  };
  context.student_embed_dim = width(in.student_embed);
  context.teacher_embed_dim = width(in.teacher_embed);
  context.student_feature_dim = width(student.pooled);
  context.teacher_feature_dim = width(teacher.pooled);
  context.num_classes =
      FLAGS_num_classes > 0 ? FLAGS_num_classes : width(in.student_logits);
  for (auto [maps, channels, sizes] :
       {std::make_tuple(&student.stage_features,
                        &context.student_stage_channels,
                        &context.student_stage_sizes),
        std::make_tuple(&teacher.stage_features,
                        &context.teacher_stage_channels,
                        &context.teacher_stage_sizes)}) {
    for (const at::Tensor& m : *maps) {
      channels->push_back(m.size(1));
      sizes->push_back(m.size(2));
    }
  }
  if (dataset_labels.defined()) {
    context.dataset_labels.assign(
        dataset_labels.data_ptr<int64_t>(),
        dataset_labels.data_ptr<int64_t>() + dataset_labels.numel());
  }
  context.dataset_size = FLAGS_dataset_size;
  if (context.dataset_size == 0) {
    context.dataset_size = dataset_labels.defined()
                               ? dataset_labels.numel()
                               : (in.indices.defined() && in.indices.numel() > 0
                                      ? in.indices.max().item<int64_t>() + 1
                                      : 0);
  }

  KD_ASSIGN_OR_RETURN(std::shared_ptr<LossSet> losses,
                      LossSet::Create({FLAGS_loss}, context));
  losses->to(dtype);
  losses->train(!FLAGS_eval_mode);
  KD_ASSIGN_OR_RETURN(LossSetValue value, losses->Compute(in));

  nlohmann::json out;
  out["loss"] = losses->Describe();
  out["dtype"] = std::string(c10::toString(dtype));
  out["total"] = value.total.item<double>();
  out["terms"] = nlohmann::json::object();
  for (const auto& [name, t] : value.terms)
    out["terms"][name] = t.item<double>();
  if (FLAGS_grad || !FLAGS_grad_dir.empty()) {
    value.total.backward();
    out["grads"] = nlohmann::json::object();
    for (const auto& [name, t] : student_tensors) {
      const at::Tensor grad =
          t.grad().defined() ? t.grad() : at::zeros_like(t);  // unused input
      if (FLAGS_grad) out["grads"][name] = ToJson(grad);
      if (!FLAGS_grad_dir.empty()) {
        const std::string path =
            absl::StrCat(FLAGS_grad_dir, "/", name, ".grad.pt");
        const std::vector<char> bytes = torch::pickle_save(grad);
        std::ofstream file(path, std::ios::binary);
        file.write(bytes.data(), bytes.size());
        if (!file) {
          return absl::InternalError(absl::StrCat("cannot write '", path, "'"));
        }
      }
    }
  }
  std::cout << out.dump(2) << std::endl;
  return absl::OkStatus();
}

}  // namespace
}  // namespace kd

namespace {

int Main(int argc, char** argv) {
  kd::CliSpec spec;
  spec.program = "eval_loss";
  spec.usage =
      "eval_loss --loss=SPEC --student_embed=FILE --teacher_embed=FILE ... "
      "[--grad]: evaluates loss specs on tensors from files (torch.save or "
      "text) and prints every term as JSON.";
  spec.help_files = {"tools/eval_loss.cc"};
  spec.extra_help = [] {
    return "Registered losses and their options:\n" +
           kd::Loss::Registry::Global().Help();
  };
  kd::ParseCommandLineOrExit(spec, argc, argv);
  const absl::Status status = kd::Run();
  if (!status.ok()) return kd::ReportBadInput("eval_loss", status);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kd::RunReportingExceptions("eval_loss",
                                    [&] { return Main(argc, argv); });
}
