// evaluate: accuracy of a trained network on a data set split, and how good
// its frozen embeddings are (kNN and linear probe), as JSON.
//
//   evaluate --checkpoint=runs/ega/best.pt --dataset=fashion_mnist
//            --split=test --output=eval.json
//
// Accuracies are percentages. Exit codes: 0 done, 2 bad input.
#include <ATen/ATen.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "backbones/network.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "kd/base/torch_errors.h"
#include "kd/data/data_setup.h"
#include "kd/data/loader.h"
#include "kd/eval/features.h"
#include "kd/eval/knn.h"
#include "kd/eval/linear_probe.h"
#include "kd/eval/metrics.h"
#include "kd/status_macros.h"
#include "kd/train/cli.h"
#include "nlohmann/json.hpp"
#include "tools/compute_flags.h"

DEFINE_string(checkpoint, "",
              "network to evaluate: a checkpoint of tools/train (best.pt, "
              "checkpoint.pt); architecture and input geometry come with it");
DEFINE_string(dataset, "fashion_mnist", "registered data set");
DEFINE_string(data_dir, "", "data set directory; empty: the reader's default");
DEFINE_string(split, "test", "split to evaluate");
DEFINE_int64(subset, 0, "> 0: a class-balanced subset of the split");
DEFINE_string(features, "embedding",
              "features for kNN / linear probe: embedding (the node "
              "embedding) or pooled (the backbone's pooled feature)");
DEFINE_bool(knn, true, "kNN accuracy of the frozen features");
DEFINE_bool(linear_probe, true, "linear probe on the frozen features");
DEFINE_string(bank_split, "train",
              "split the kNN bank and the probe are fitted on");
DEFINE_int64(bank_subset, 0, "> 0: a class-balanced subset of --bank_split");
DEFINE_int32(knn_k, 200, "kNN neighbours");
DEFINE_double(knn_temperature, 0.07, "kNN similarity temperature");
DEFINE_int32(probe_epochs, 100, "linear probe SGD epochs");
DEFINE_int64(batch_size, 256, "evaluation batch size");
DEFINE_int32(threads, 0, "libtorch intra-op threads; 0: all cores");
DEFINE_string(output, "", "also write the JSON to this file");

namespace {

absl::StatusOr<std::unique_ptr<kd::DataLoader>> MakeLoader(
    std::shared_ptr<const kd::Dataset> dataset, const kd::NetworkSpec& spec,
    const torch::Device& device) {
  KD_ASSIGN_OR_RETURN(const int side, kd::ImageSide(*dataset));
  kd::LoaderOptions options;
  options.batch_size = FLAGS_batch_size;
  options.shuffle = false;
  options.num_workers = 2;
  options.pin_memory = device.is_cuda();
  KD_ASSIGN_OR_RETURN(options.student_view,
                      kd::MakeView(side, static_cast<int>(spec.input_size),
                                   false, spec.normalize));
  return kd::DataLoader::Create(std::move(dataset), options);
}

// Bad input (files, names, values) is found here, before any work.
struct Setup {
  kd::Network network;
  torch::Device device{torch::kCPU};
  std::shared_ptr<const kd::Dataset> eval_set, bank_set;
};

absl::StatusOr<Setup> SetUp() {
  if (FLAGS_checkpoint.empty()) {
    return absl::InvalidArgumentError(
        "--checkpoint: required (a checkpoint written by tools/train)");
  }
  if (FLAGS_features != "embedding" && FLAGS_features != "pooled") {
    return absl::InvalidArgumentError(
        absl::StrCat("--features: expected embedding or pooled, got '",
                     FLAGS_features, "'"));
  }
  if (FLAGS_batch_size < 1 || FLAGS_knn_k < 1 || FLAGS_probe_epochs < 1 ||
      !(FLAGS_knn_temperature > 0) || FLAGS_subset < 0 ||
      FLAGS_bank_subset < 0 || FLAGS_threads < 0) {
    return absl::InvalidArgumentError(
        "--batch_size, --knn_k, --probe_epochs and --knn_temperature must be "
        "> 0; --subset, --bank_subset and --threads >= 0");
  }
  Setup setup;
  KD_ASSIGN_OR_RETURN(setup.network,
                      kd::LoadNetworkCheckpoint(FLAGS_checkpoint));
  KD_ASSIGN_OR_RETURN(setup.device, kd::ApplyComputeFlags(setup.network));
  KD_ASSIGN_OR_RETURN(
      setup.eval_set,
      kd::OpenDataset(
          {FLAGS_dataset, FLAGS_data_dir, FLAGS_split, FLAGS_subset, {}}));
  if (setup.eval_set->num_classes() != setup.network.spec.num_classes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--checkpoint ", FLAGS_checkpoint, " classifies ",
                     setup.network.spec.num_classes, " classes, --dataset ",
                     FLAGS_dataset, " has ", setup.eval_set->num_classes()));
  }
  if (FLAGS_knn || FLAGS_linear_probe) {
    KD_ASSIGN_OR_RETURN(setup.bank_set, kd::OpenDataset({FLAGS_dataset,
                                                         FLAGS_data_dir,
                                                         FLAGS_bank_split,
                                                         FLAGS_bank_subset,
                                                         {}}));
  }
  return setup;
}

absl::StatusOr<nlohmann::ordered_json> Evaluate(Setup& setup) {
  const torch::Device& device = setup.device;
  const kd::FeatureKind kind = FLAGS_features == "pooled"
                                   ? kd::FeatureKind::kPooled
                                   : kd::FeatureKind::kEmbedding;
  KD_ASSIGN_OR_RETURN(auto loader,
                      MakeLoader(setup.eval_set, setup.network.spec, device));
  KD_ASSIGN_OR_RETURN(
      kd::ExtractedFeatures eval,
      kd::ExtractFeatures(setup.network, *loader, kind, device));
  kd::eval::ClassificationMeter meter(setup.network.spec.num_classes, {1, 5});
  KD_RETURN_IF_ERROR(meter.Add(eval.logits, eval.labels));

  nlohmann::ordered_json j;
  j["checkpoint"] = FLAGS_checkpoint;
  j["network"] = setup.network.spec.backbone;
  j["dataset"] = FLAGS_dataset;
  j["split"] = FLAGS_split;
  j["examples"] = meter.count();
  j["top1"] = 100.0 * meter.TopKAccuracy(1);
  j["top5"] = 100.0 * meter.TopKAccuracy(5);
  nlohmann::ordered_json per_class;
  const std::vector<std::string> names = setup.eval_set->class_names();
  const std::vector<double> accuracy = meter.PerClassAccuracy();
  for (size_t c = 0; c < accuracy.size(); ++c) {
    const std::string name = c < names.size() ? names[c] : absl::StrCat(c);
    per_class[name] = std::isfinite(accuracy[c])
                          ? nlohmann::json(100.0 * accuracy[c])
                          : nlohmann::json(nullptr);
  }
  j["per_class_top1"] = per_class;
  if (setup.bank_set) {
    KD_ASSIGN_OR_RETURN(auto bank_loader,
                        MakeLoader(setup.bank_set, setup.network.spec, device));
    KD_ASSIGN_OR_RETURN(
        kd::ExtractedFeatures bank,
        kd::ExtractFeatures(setup.network, *bank_loader, kind, device));
    j["features"] = FLAGS_features;
    j["bank_split"] = FLAGS_bank_split;
    j["bank_examples"] = bank.labels.size(0);
    if (FLAGS_knn) {
      kd::eval::KnnOptions options;
      options.k = FLAGS_knn_k;
      options.temperature = FLAGS_knn_temperature;
      options.num_classes = setup.network.spec.num_classes;
      KD_ASSIGN_OR_RETURN(double acc, kd::eval::KnnAccuracy(
                                          bank.features, bank.labels,
                                          eval.features, eval.labels, options));
      j["knn"] = {{"k", FLAGS_knn_k},
                  {"temperature", FLAGS_knn_temperature},
                  {"top1", 100.0 * acc}};
    }
    if (FLAGS_linear_probe) {
      kd::eval::LinearProbeOptions options;
      options.epochs = FLAGS_probe_epochs;
      options.num_classes = setup.network.spec.num_classes;
      KD_ASSIGN_OR_RETURN(
          kd::eval::LinearProbeResult probe,
          kd::eval::RunLinearProbe(bank.features, bank.labels, eval.features,
                                   eval.labels, options));
      j["linear_probe"] = {{"epochs", FLAGS_probe_epochs},
                           {"train_top1", 100.0 * probe.train_accuracy},
                           {"top1", 100.0 * probe.test_accuracy}};
    }
  }
  return j;
}

int Main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  kd::CliSpec spec;
  spec.program = "evaluate";
  spec.usage =
      "top-1/top-5 and per-class accuracy of a tools/train checkpoint on a "
      "split, plus kNN and linear-probe accuracy of its frozen features; "
      "prints JSON.";
  spec.help_files = {"tools/evaluate.cc"};
  kd::ParseCommandLineOrExit(spec, argc, argv);
  at::set_num_threads(kd::ThreadCountFromFlag(FLAGS_threads));
  auto setup = SetUp();
  if (!setup.ok()) return kd::ReportBadInput("evaluate", setup.status());
  auto result = Evaluate(*setup);
  if (!result.ok()) {
    std::cerr << "evaluate: " << result.status().message() << std::endl;
    return 1;
  }
  const std::string text = result->dump(2);
  std::cout << text << std::endl;
  if (!FLAGS_output.empty()) {
    std::ofstream out(FLAGS_output);
    out << text << "\n";
    if (!out) {
      std::cerr << "evaluate: cannot write " << FLAGS_output << std::endl;
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kd::RunReportingExceptions("evaluate",
                                    [&] { return Main(argc, argv); });
}
