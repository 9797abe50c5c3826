// dump_embeddings: embeddings of a trained network for a split or a subset
// of classes, as TensorBoard-projector TSV, and their t-SNE map as CSV and a
// PNG scatter plot coloured by class.
//
//   dump_embeddings --checkpoint=runs/ega/best.pt --dataset=cifar100
//       --data_dir=data/cifar-100-binary --classes=beaver,dolphin,otter,...
//       --features=embedding --out_dir=runs/ega/tsne
//
// Writes vectors.tsv, metadata.tsv, tsne.csv, tsne.png in --out_dir.
// Exit codes: 0 done, 2 bad input.
#include <ATen/ATen.h>

#include <array>
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "backbones/network.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "kd/base/files.h"
#include "kd/base/torch_errors.h"
#include "kd/data/data_setup.h"
#include "kd/data/loader.h"
#include "kd/eval/features.h"
#include "kd/eval/pca.h"
#include "kd/eval/projector.h"
#include "kd/plot/plot.h"
#include "kd/status_macros.h"
#include "kd/train/cli.h"
#include "kd/tsne/tsne.h"
#include "tools/compute_flags.h"

DEFINE_string(checkpoint, "",
              "network: a checkpoint of tools/train (best.pt, checkpoint.pt)");
DEFINE_string(dataset, "fashion_mnist", "registered data set");
DEFINE_string(data_dir, "", "data set directory; empty: the reader's default");
DEFINE_string(split, "test", "split to embed");
DEFINE_string(classes, "",
              "comma-separated class names or indices to keep (the paper: 7 "
              "CIFAR-100 classes of two superclasses); empty: all");
DEFINE_int64(subset, 2000,
             "> 0: at most this many points, class-balanced; 0: all");
DEFINE_string(features, "embedding",
              "embedding (the node embedding) or pooled (backbone feature)");
DEFINE_string(out_dir, "", "output directory");
DEFINE_bool(tsne, true, "compute and plot the t-SNE map");
DEFINE_string(tsne_method, "auto",
              "auto (exact up to --tsne_exact_max points, else Barnes-Hut), "
              "exact or barnes_hut");
DEFINE_int32(tsne_exact_max, 1000, "auto: largest N computed exactly");
DEFINE_double(perplexity, 30, "t-SNE perplexity");
DEFINE_int32(tsne_iterations, 1000, "t-SNE iterations");
DEFINE_int32(pca_dims, 50,
             "reduce features to this many dimensions with PCA before t-SNE "
             "(0: no PCA)");
DEFINE_uint64(seed, 0, "t-SNE initialisation seed");
DEFINE_string(title, "", "plot title; empty: derived from the inputs");
DEFINE_int32(threads, 0, "libtorch intra-op threads; 0: all cores");

namespace {

using Points = std::vector<std::array<double, 2>>;

struct Setup {
  kd::Network network;
  torch::Device device{torch::kCPU};
  std::shared_ptr<const kd::Dataset> dataset;
  kd::tsne::TsneOptions tsne;
};

absl::StatusOr<Setup> SetUp() {
  if (FLAGS_checkpoint.empty()) {
    return absl::InvalidArgumentError(
        "--checkpoint: required (a checkpoint written by tools/train)");
  }
  if (FLAGS_out_dir.empty()) {
    return absl::InvalidArgumentError("--out_dir: required");
  }
  if (FLAGS_features != "embedding" && FLAGS_features != "pooled") {
    return absl::InvalidArgumentError(
        absl::StrCat("--features: expected embedding or pooled, got '",
                     FLAGS_features, "'"));
  }
  Setup setup;
  if (FLAGS_tsne_method == "auto") {
    setup.tsne.method = kd::tsne::TsneMethod::kAuto;
  } else if (FLAGS_tsne_method == "exact") {
    setup.tsne.method = kd::tsne::TsneMethod::kExact;
  } else if (FLAGS_tsne_method == "barnes_hut") {
    setup.tsne.method = kd::tsne::TsneMethod::kBarnesHut;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--tsne_method: expected auto, exact or barnes_hut, got '",
                     FLAGS_tsne_method, "'"));
  }
  if (!(FLAGS_perplexity > 0) || FLAGS_tsne_iterations < 1 ||
      FLAGS_pca_dims < 0 || FLAGS_subset < 0 || FLAGS_threads < 0) {
    return absl::InvalidArgumentError(
        "--perplexity and --tsne_iterations must be > 0; --pca_dims, "
        "--subset and --threads >= 0");
  }
  setup.tsne.perplexity = FLAGS_perplexity;
  setup.tsne.max_iterations = FLAGS_tsne_iterations;
  setup.tsne.exact_max_points = FLAGS_tsne_exact_max;
  setup.tsne.seed = FLAGS_seed;
  KD_ASSIGN_OR_RETURN(setup.network,
                      kd::LoadNetworkCheckpoint(FLAGS_checkpoint));
  KD_ASSIGN_OR_RETURN(setup.device, kd::ApplyComputeFlags(setup.network));
  kd::DataSelection selection{
      FLAGS_dataset, FLAGS_data_dir, FLAGS_split, FLAGS_subset, {}};
  if (!FLAGS_classes.empty()) {
    selection.classes = absl::StrSplit(FLAGS_classes, ',', absl::SkipEmpty());
  }
  KD_ASSIGN_OR_RETURN(setup.dataset, kd::OpenDataset(selection));
  if (FLAGS_classes.empty() &&
      setup.dataset->num_classes() != setup.network.spec.num_classes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--checkpoint ", FLAGS_checkpoint, " classifies ",
                     setup.network.spec.num_classes, " classes, --dataset ",
                     FLAGS_dataset, " has ", setup.dataset->num_classes()));
  }
  if (absl::Status made = kd::MakeDirectories(FLAGS_out_dir); !made.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out_dir: ", made.message()));
  }
  return setup;
}

absl::Status Dump(Setup& setup) {
  KD_ASSIGN_OR_RETURN(const int side, kd::ImageSide(*setup.dataset));
  kd::LoaderOptions options;
  options.batch_size = 256;
  options.shuffle = false;
  options.pin_memory = setup.device.is_cuda();
  KD_ASSIGN_OR_RETURN(
      options.student_view,
      kd::MakeView(side, static_cast<int>(setup.network.spec.input_size), false,
                   setup.network.spec.normalize));
  KD_ASSIGN_OR_RETURN(auto loader,
                      kd::DataLoader::Create(setup.dataset, options));
  KD_ASSIGN_OR_RETURN(kd::ExtractedFeatures extracted,
                      kd::ExtractFeatures(setup.network, *loader,
                                          FLAGS_features == "pooled"
                                              ? kd::FeatureKind::kPooled
                                              : kd::FeatureKind::kEmbedding,
                                          setup.device));
  const at::Tensor features = extracted.features.contiguous();
  const int64_t n = features.size(0), dim = features.size(1);
  std::vector<float> vectors(features.data_ptr<float>(),
                             features.data_ptr<float>() + n * dim);
  std::vector<int> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int>(extracted.labels[i].item<int64_t>());
  }
  const std::vector<std::string> names = setup.dataset->class_names();
  KD_RETURN_IF_ERROR(kd::eval::WriteProjectorTsv(
      FLAGS_out_dir + "/vectors.tsv", FLAGS_out_dir + "/metadata.tsv", vectors,
      n, dim, labels, names));
  LOG(INFO) << "wrote " << n << " x " << dim << " " << FLAGS_features
            << " vectors to " << FLAGS_out_dir << "/vectors.tsv";
  if (!FLAGS_tsne) return absl::OkStatus();

  at::Tensor reduced = features;
  if (FLAGS_pca_dims > 0 && dim > FLAGS_pca_dims && n > FLAGS_pca_dims) {
    KD_ASSIGN_OR_RETURN(reduced,
                        kd::eval::PcaProject(features, FLAGS_pca_dims));
    reduced = reduced.to(at::kFloat).contiguous();
  }
  std::vector<float> data(reduced.data_ptr<float>(),
                          reduced.data_ptr<float>() + reduced.numel());
  setup.tsne.progress = [](int iteration, double kl) {
    LOG(INFO) << "t-SNE iteration " << iteration << ": KL " << kl;
  };
  setup.tsne.progress_every = 250;
  KD_ASSIGN_OR_RETURN(
      Points xy,
      kd::tsne::RunTsne(data, static_cast<int>(n),
                        static_cast<int>(reduced.size(1)), setup.tsne));
  KD_RETURN_IF_ERROR(
      kd::eval::WriteTsneCsv(FLAGS_out_dir + "/tsne.csv", xy, labels, names));
  kd::plot::ScatterOptions plot;
  plot.title = !FLAGS_title.empty()
                   ? FLAGS_title
                   : absl::StrCat("t-SNE of ", setup.network.spec.backbone, " ",
                                  FLAGS_features, " (", FLAGS_dataset, " ",
                                  FLAGS_split, ", ", n, " points)");
  KD_RETURN_IF_ERROR(kd::plot::WriteScatterPng(FLAGS_out_dir + "/tsne.png", xy,
                                               labels, names, plot));
  LOG(INFO) << "wrote " << FLAGS_out_dir << "/tsne.csv and tsne.png";
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  kd::CliSpec spec;
  spec.program = "dump_embeddings";
  spec.usage =
      "writes a network's embeddings of a split (or some classes) as "
      "TensorBoard-projector TSV, and their t-SNE map as CSV + PNG.";
  spec.help_files = {"tools/dump_embeddings.cc"};
  kd::ParseCommandLineOrExit(spec, argc, argv);
  at::set_num_threads(kd::ThreadCountFromFlag(FLAGS_threads));
  auto setup = SetUp();
  if (!setup.ok()) return kd::ReportBadInput("dump_embeddings", setup.status());
  const absl::Status status = Dump(*setup);
  if (!status.ok()) {
    std::cerr << "dump_embeddings: " << status.message() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kd::RunReportingExceptions("dump_embeddings",
                                    [&] { return Main(argc, argv); });
}
