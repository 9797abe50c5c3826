// DistGroup, AllGather* and GradientBuckets over loopback: the test binary
// starts copies of itself as the ranks of a run (`--worker=<scenario>`, rank
// and rendezvous in the environment as torchrun sets them) and checks their
// exit codes; each worker checks the values it gets.
#include "kd/dist/dist_group.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "kd/dist/all_gather.h"
#include "kd/dist/gradient_buckets.h"

namespace kd {
namespace {

// ------------------------------------------------------------ the workers --

#define WORKER_EXPECT(cond)                                             \
  do {                                                                  \
    if (!(cond)) {                                                      \
      std::cerr << "rank " << rank << ": " << __LINE__ << ": " << #cond \
                << std::endl;                                           \
      return 1;                                                         \
    }                                                                   \
  } while (0)

DistOptions OptionsFromEnvironment() {
  DistRequest request;
  request.timeout_s = std::atof(std::getenv("KD_TEST_TIMEOUT_S"));
  return *ResolveDistOptions(request, GetEnvironment);
}

bool AllEqual(const torch::Tensor& t, double value) {
  return t.eq(value).all().item<bool>();
}

int Collectives() {
  const DistOptions options = OptionsFromEnvironment();
  const int rank = options.rank;
  absl::StatusOr<std::unique_ptr<DistGroup>> connected =
      DistGroup::Connect(options);
  WORKER_EXPECT(connected.ok());
  DistGroup& group = **connected;
  WORKER_EXPECT(group.world_size() == 2);

  // Broadcast from rank 0, of two dtypes and a non-contiguous layout.
  torch::Tensor f = torch::full({2, 3}, rank + 1.0);
  torch::Tensor i = torch::full({4}, rank + 5, torch::kLong);
  torch::Tensor cl = torch::full({1, 2, 2, 2}, rank + 1.0)
                         .contiguous(torch::MemoryFormat::ChannelsLast);
  WORKER_EXPECT(group.Broadcast({f, i, cl}, "test tensors").ok());
  WORKER_EXPECT(AllEqual(f, 1) && AllEqual(i, 5) && AllEqual(cl, 1));

  torch::Tensor sum = torch::full({3}, rank + 1.0);
  WORKER_EXPECT(group.AllReduceSum({sum}, "sum").ok());
  WORKER_EXPECT(AllEqual(sum, 3));
  std::vector<double> doubles = {static_cast<double>(rank), 0.5};
  WORKER_EXPECT(group.SumDoubles(doubles, "doubles").ok());
  WORKER_EXPECT(doubles[0] == 1 && doubles[1] == 1);

  // Rank r holds rows j of the whole batch's rows j * 2 + r.
  torch::Tensor x = (torch::arange(3, torch::kFloat) + 10 * rank)
                        .unsqueeze(1)
                        .requires_grad_();
  torch::Tensor all = AllGatherBatch(group, x);
  WORKER_EXPECT(all.sizes() == torch::IntArrayRef({6, 1}));
  WORKER_EXPECT(
      torch::equal(all.detach().squeeze(1),
                   torch::tensor({0.0f, 10.0f, 1.0f, 11.0f, 2.0f, 12.0f})));
  // Every rank computes the same loss; each copy's gradient reaches the
  // owner: d/dx_r = world_size * w[j * 2 + r].
  const torch::Tensor w = torch::arange(1, 7, torch::kFloat);
  (all.squeeze(1) * w).sum().backward();
  const torch::Tensor expected =
      2 * w.reshape({3, 2}).select(1, rank).unsqueeze(1);
  WORKER_EXPECT(torch::equal(x.grad(), expected));
  torch::Tensor labels = torch::full({2}, rank, torch::kLong);
  WORKER_EXPECT(torch::equal(AllGatherBatch(group, labels),
                             torch::tensor({0, 1, 0, 1}, torch::kLong)));
  WORKER_EXPECT(torch::equal(AllGatherStacked(group, labels),
                             torch::tensor({{0, 0}, {1, 1}}, torch::kLong)));

  // Gradient buckets: 1 KiB buckets, so `a` and `b` are in different ones;
  // `unused` never gets a gradient and averages to 0.
  torch::Tensor a = torch::zeros({1000}).requires_grad_();
  torch::Tensor b = torch::ones({10}).requires_grad_();
  torch::Tensor unused = torch::ones({5}).requires_grad_();
  {
    GradientBuckets buckets(group, {a, b, unused}, 1024, "test gradients");
    WORKER_EXPECT(buckets.num_buckets() >= 2);
    for (int step = 0; step < 2; ++step) {
      for (torch::Tensor* p : {&a, &b, &unused}) {
        if (p->grad().defined()) p->mutable_grad().zero_();
      }
      buckets.StartStep();
      ((a * (rank + 1)).sum() + (b * b).sum() * (rank + 1)).backward();
      WORKER_EXPECT(buckets.Finish().ok());
      WORKER_EXPECT(AllEqual(a.grad(), 1.5));       // (1 + 2) / 2
      WORKER_EXPECT(AllEqual(b.grad(), 3.0));       // 2 * b * 1.5
      WORKER_EXPECT(AllEqual(unused.grad(), 0.0));  // zeros everywhere
    }
  }

  // The replicas-agree guard, and the same-settings check.
  torch::Tensor shared = torch::arange(4, torch::kFloat);
  WORKER_EXPECT(group.CheckSameTensors({{"shared", shared}}, "weights").ok());
  if (rank == 1) shared[2] = 2.5;
  const absl::Status drifted =
      group.CheckSameTensors({{"ok", a}, {"shared", shared}}, "weights");
  WORKER_EXPECT(drifted.code() == absl::StatusCode::kFailedPrecondition);
  WORKER_EXPECT(absl::StrContains(drifted.message(), "first 'shared'"));
  const absl::Status settings =
      group.CheckSameOnEveryRank("settings", rank == 0 ? "a" : "b");
  WORKER_EXPECT(settings.ok() == (rank == 0));
  WORKER_EXPECT(group.Barrier("the end of the test").ok());
  return 0;
}

// Rank 1 exits after joining; rank 0's next collective must fail promptly.
int PeerDies() {
  const DistOptions options = OptionsFromEnvironment();
  const int rank = options.rank;
  absl::StatusOr<std::unique_ptr<DistGroup>> group =
      DistGroup::Connect(options);
  WORKER_EXPECT(group.ok());
  WORKER_EXPECT((*group)->Barrier("joined").ok());
  if (rank == 1) _exit(7);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor t = torch::ones({8});
  const absl::Status failed = (*group)->AllReduceSum({t}, "test gradients");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::cerr << "rank 0 after " << seconds << " s: " << failed << std::endl;
  WORKER_EXPECT(failed.code() == absl::StatusCode::kUnavailable);
  WORKER_EXPECT(absl::StrContains(failed.message(),
                                  "rank 0 of 2: all-reduce of test gradients "
                                  "failed"));
  WORKER_EXPECT(seconds < options.timeout_s + 5);
  _exit(0);  // not through the group's destructor: its peer is gone
}

// Started alone in a world of 2: nobody else ever joins.
int MissingRank() {
  const DistOptions options = OptionsFromEnvironment();
  const int rank = options.rank;
  absl::StatusOr<std::unique_ptr<DistGroup>> group =
      DistGroup::Connect(options);
  std::cerr << group.status() << std::endl;
  WORKER_EXPECT(group.status().code() == absl::StatusCode::kDeadlineExceeded);
  WORKER_EXPECT(absl::StrContains(group.status().message(),
                                  "rank 1 of 2 did not join the run"));
  return 0;
}

// Rank 1 with no rank 0 listening at the rendezvous.
int Unreachable() {
  const DistOptions options = OptionsFromEnvironment();
  const int rank = options.rank;
  absl::StatusOr<std::unique_ptr<DistGroup>> group =
      DistGroup::Connect(options);
  std::cerr << group.status() << std::endl;
  WORKER_EXPECT(group.status().code() == absl::StatusCode::kUnavailable);
  WORKER_EXPECT(absl::StrContains(
      group.status().message(),
      absl::StrCat("rank 1: cannot reach the rendezvous at 127.0.0.1:",
                   options.master_port)));
  return 0;
}

int RunWorker(const std::string& scenario) {
  if (scenario == "collectives") return Collectives();
  if (scenario == "peer_dies") return PeerDies();
  if (scenario == "missing_rank") return MissingRank();
  if (scenario == "unreachable") return Unreachable();
  std::cerr << "unknown scenario " << scenario << std::endl;
  return 2;
}

// ------------------------------------------------------------- the parent --

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Starts one worker per entry of `ranks` in a world of `world_size`, waits
// up to a minute, returns their exit codes (-1: killed).
std::vector<int> RunRanks(const std::string& scenario, int world_size,
                          const std::vector<int>& ranks, double timeout_s) {
  const int port = FreePort();
  std::vector<pid_t> pids;
  for (int rank : ranks) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(world_size).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      setenv("KD_TEST_TIMEOUT_S", std::to_string(timeout_s).c_str(), 1);
      const std::string flag = "--worker=" + scenario;
      execl("/proc/self/exe", "dist_group_test", flag.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    pids.push_back(pid);
  }
  std::vector<int> codes(pids.size(), -1);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (size_t k = 0; k < pids.size(); ++k) {
    int status = 0;
    while (waitpid(pids[k], &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pids[k], SIGKILL);
        waitpid(pids[k], &status, 0);
        status = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (status != -1 && WIFEXITED(status)) codes[k] = WEXITSTATUS(status);
  }
  return codes;
}

TEST(DistGroupTest, CollectivesGatherAndGradientBucketsOverLoopback) {
  EXPECT_EQ(RunRanks("collectives", 2, {0, 1}, 30), std::vector<int>({0, 0}));
}

TEST(DistGroupTest, APeerThatDiesFailsTheOthersWithinTheTimeout) {
  EXPECT_EQ(RunRanks("peer_dies", 2, {0, 1}, 5), std::vector<int>({0, 7}));
}

TEST(DistGroupTest, ARankThatNeverJoinsIsNamed) {
  EXPECT_EQ(RunRanks("missing_rank", 2, {0}, 2), std::vector<int>({0}));
}

TEST(DistGroupTest, AnUnreachableRendezvousIsAClearError) {
  EXPECT_EQ(RunRanks("unreachable", 2, {1}, 2), std::vector<int>({0}));
}

}  // namespace
}  // namespace kd

int main(int argc, char** argv) {
  const std::string worker = "--worker=";
  if (argc == 2 && absl::StartsWith(argv[1], worker)) {
    return kd::RunWorker(argv[1] + worker.size());
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
