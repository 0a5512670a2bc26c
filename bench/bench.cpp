// Benchmarks (Google Benchmark): the library's hot paths and whole-process runs of the CLI against
// /bin/true on the same machine. Results and the machine: docs/benchmarks.md.
// Run: build-bench/bench/llmmem_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "curl_transport.hpp"
#include "file_writers.hpp"
#include "hub_stand_in.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/hub.hpp"

extern char** environ;

namespace {

using namespace llmmem;

const Catalog& catalog() {
  static const Catalog c;
  return c;
}

void BM_EstimateDetailed(benchmark::State& state) {
  const Model m = resolve_model(catalog(), "llama3-70b");
  Request r;
  for (auto _ : state) benchmark::DoNotOptimize(estimate(m, r));
}
BENCHMARK(BM_EstimateDetailed);

void BM_EstimateDocument(benchmark::State& state) {
  const Model m = resolve_model(catalog(), "llama3-70b");
  Request r;
  r.method = Method::document;
  for (auto _ : state) benchmark::DoNotOptimize(estimate(m, r));
}
BENCHMARK(BM_EstimateDocument);

// A 160-shard repository on the loopback Hub stand-in with 50 ms added to every request (Hub and
// storage), read with nothing cached: the models API, config.json and the index, then 160 resolve
// requests (redirects) and 160 range requests, in parallel. Issue 14 asks for under 2 s.
void BM_Hub160Shards50ms(benchmark::State& state) {
  llmmem::test::HubStandIn hub;
  llmmem::test::HubStandIn::Repo repo;
  repo.commit = "0123456789abcdef0123456789abcdef01234567";
  repo.files["config.json"] =
      R"({"model_type":"llama","architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,)"
      R"("num_hidden_layers":160,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":1000,)"
      R"("max_position_embeddings":4096,"torch_dtype":"float16","tie_word_embeddings":true})";
  std::string index = R"({"metadata":{},"weight_map":{)";
  for (int i = 0; i < 160; ++i) {
    const std::string shard = "model-" + std::to_string(100000 + i + 1).substr(1) + "-of-00160.safetensors";
    std::vector<llmmem::test::StTensor> t;
    const std::string p = "model.layers." + std::to_string(i) + ".";
    for (const char* n : {"self_attn.q_proj", "self_attn.o_proj"}) t.push_back({p + n + ".weight", "F16", {64, 64}, 2});
    for (const char* n : {"self_attn.k_proj", "self_attn.v_proj"}) t.push_back({p + n + ".weight", "F16", {32, 64}, 2});
    for (const char* n : {"mlp.gate_proj", "mlp.up_proj"}) t.push_back({p + n + ".weight", "F16", {128, 64}, 2});
    t.push_back({p + "mlp.down_proj.weight", "F16", {64, 128}, 2});
    t.push_back({p + "input_layernorm.weight", "F16", {64}, 2});
    t.push_back({p + "post_attention_layernorm.weight", "F16", {64}, 2});
    if (i == 0) t.push_back({"model.embed_tokens.weight", "F16", {1000, 64}, 2});
    if (i == 159) t.push_back({"model.norm.weight", "F16", {64}, 2});
    for (const auto& x : t) index += "\"" + x.name + "\":\"" + shard + "\",";
    repo.files[shard] = llmmem::test::safetensors_bytes(t);
  }
  index.back() = '}';
  index += "}";
  repo.files["model.safetensors.index.json"] = index;
  hub.add("org/sharded-160", repo);
  hub.latency_ms(50);
  for (auto _ : state) {
    net::CurlTransport transport;
    HubSettings s;
    s.endpoint = hub.endpoint();  // nothing cached: cache_dir and hf_hub_cache left empty
    Hub h(transport, s);
    benchmark::DoNotOptimize(h.load_model(*parse_hub_id("org/sharded-160")));
  }
  state.counters["requests"] = static_cast<double>(hub.log().size()) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Hub160Shards50ms)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_CatalogLookup(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(resolve_model(catalog(), "meta-llama/Meta-Llama-3-70B"));
}
BENCHMARK(BM_CatalogLookup);

void BM_CatalogConstruct(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Catalog());
}
BENCHMARK(BM_CatalogConstruct);

// Every valid tp × pp layout of Llama-3.1-405B on up to N H100s (N = 8, 16, 32, 64).
void BM_AllLayouts405B(benchmark::State& state) {
  const Model m = resolve_model(catalog(), "llama3.1-405b");
  const Request r;
  const auto max_gpus = static_cast<std::uint64_t>(state.range(0));
  std::size_t layouts = 0;
  for (auto _ : state) {
    const auto all = all_layouts(m, r, find_gpu("h100-80gb").memory, max_gpus);
    layouts = all.size();
    benchmark::DoNotOptimize(all);
  }
  state.counters["layouts"] = static_cast<double>(layouts);
}
BENCHMARK(BM_AllLayouts405B)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond);

// The whole `llmmem fit` computation for Llama-3.1-405B on 64 H100s: the concurrency question tries
// every tensor × pipeline layout of up to 64 GPUs, the other questions search the estimator.
void BM_Fit405B(benchmark::State& state) {
  FitQuery q{resolve_model(catalog(), "llama3.1-405b"), Request{}, parse_gpu_target("h100-80gb:64")};
  for (auto _ : state) benchmark::DoNotOptimize(solve_fit(q));
}
BENCHMARK(BM_Fit405B)->Unit(benchmark::kMillisecond);

void spawn_and_wait(const char* path, char* const argv[]) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, path, &actions, nullptr, argv, environ) != 0) std::abort();
  int status = 0;
  waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
}

void BM_ProcessTrue(benchmark::State& state) {
  char* argv[] = {const_cast<char*>("true"), nullptr};
  for (auto _ : state) spawn_and_wait("/bin/true", argv);
}
BENCHMARK(BM_ProcessTrue)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ProcessInfer(benchmark::State& state) {
  char* argv[] = {const_cast<char*>("llmmem"), const_cast<char*>("infer"), const_cast<char*>("--model"),
                  const_cast<char*>("llama3-70b"), nullptr};
  for (auto _ : state) spawn_and_wait(LLMMEM_BINARY, argv);
}
BENCHMARK(BM_ProcessInfer)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
