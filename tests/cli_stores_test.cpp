// End-to-end for other tools' model stores: the built binary with OLLAMA_MODELS, HOME and
// LLAMA_CACHE pointed at stand-in folders laid out as Ollama, LM Studio and llama.cpp lay them out.
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "file_writers.hpp"

namespace {

using llmmem::test::check_error;
using llmmem::test::check_exact_error;
using llmmem::test::Result;
using llmmem::test::run;
namespace fs = std::filesystem;

const std::string k_blob_hex = std::string(63, 'f') + "0";

// A small Llama GGUF (2 layers, hidden 256, vocab 1000) with one f16 output tensor.
std::string tiny_gguf() {
  llmmem::test::Gguf g;
  llmmem::test::llama_metadata(g);
  g.tensor("output.weight", {256, 1000}, 1, 256ULL * 1000 * 2);
  return g.bytes();
}

std::string manifest(const std::string& digest) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[)"
         R"({"mediaType":"application/vnd.ollama.image.model","digest":")" +
         digest + R"(","size":4920734752}]})";
}

// The estimate without what names the model (its name and the note saying which file it is).
nlohmann::json figures(const Result& r) {
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  j.erase("model");
  j.erase("notes");
  return j;
}

}  // namespace

TEST_CASE("cli: ollama:NAME estimates exactly as its GGUF blob under --engine ollama", "[cli][stores][ollama]") {
  llmmem::test::TempDir dir("cli_stores_ollama");
  dir.write("models/blobs/sha256-" + k_blob_hex, tiny_gguf());
  dir.write("models/manifests/registry.ollama.ai/library/llama3.1/8b", manifest("sha256:" + k_blob_hex));
  dir.write("models/manifests/registry.ollama.ai/library/llama3.1/latest", manifest("sha256:" + k_blob_hex));
  const std::string env = "OLLAMA_MODELS='" + (dir.path() / "models").string() + "'";
  const std::string blob = (dir.path() / "models" / "blobs" / ("sha256-" + k_blob_hex)).string();
  const Result by_name = run("infer --model ollama:llama3.1:8b --format json", env);
  const Result by_blob = run("infer --model " + blob + " --engine ollama --format json", env);
  CHECK(figures(by_name) == figures(by_blob));
  const auto j = nlohmann::json::parse(by_name.out);
  CHECK(j["model"]["name"] == "llama3.1:8b");
  CHECK(j["engine"]["id"] == "ollama");  // Ollama's model, Ollama's defaults
  CHECK(j["notes"][0] == "llama3.1:8b: Ollama's " + blob + " (manifest " +
                             (dir.path() / "models/manifests/registry.ollama.ai/library/llama3.1/8b").string() + ")");
  // The plain name, when nothing else has it; --engine still chooses.
  CHECK(figures(run("infer --model llama3.1:8b --format json", env)) == figures(by_blob));
  CHECK(figures(run("infer --model llama3.1:8b --engine llama.cpp --format json", env)) ==
        figures(run("infer --model " + blob + " --format json", env)));
  // A missing tag: exit 3, the tags the store has.
  check_exact_error(run("infer --model ollama:llama3.1:70b", env), 3,
                    "ollama: llama3.1 has no tag '70b' in " +
                        (dir.path() / "models/manifests/registry.ollama.ai/library/llama3.1").string() +
                        " (tags: 8b, latest)");
  // A traversal attempt in a digest: exit 3 naming the manifest, nothing read outside blobs/.
  dir.write("models/manifests/registry.ollama.ai/library/evil/latest", manifest("sha256:../../../../etc/passwd"));
  check_exact_error(run("infer --model evil", env), 3,
                    (dir.path() / "models/manifests/registry.ollama.ai/library/evil/latest").string() +
                        ": layer digest 'sha256:../../../../etc/passwd' is not sha256:<64 hex digits>");
  // Control characters from a manifest never reach the terminal.
  dir.write("models/manifests/registry.ollama.ai/library/esc/latest", manifest("sha256:\\u001b[31mred"));
  check_error(run("infer --model ollama:esc", env), 3, "layer digest 'sha256:?[31mred'");
  // Not an Ollama name: a usage error (exit 2).
  check_error(run("infer --model 'ollama:a b'", env), 2, "is not an Ollama model name");
}

TEST_CASE("cli: lmstudio: and llamacpp: names read LM Studio's folder and llama.cpp's cache", "[cli][stores]") {
  llmmem::test::TempDir dir("cli_stores_gguf");
  dir.write("home/.lmstudio/models/lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf", tiny_gguf());
  dir.write("cache/bartowski_Qwen3-8B-GGUF_Qwen3-8B-Q4_K_M.gguf", tiny_gguf());
  const std::string env =
      "HOME='" + (dir.path() / "home").string() + "' LLAMA_CACHE='" + (dir.path() / "cache").string() + "'";
  const std::string file = (dir.path() / "cache/bartowski_Qwen3-8B-GGUF_Qwen3-8B-Q4_K_M.gguf").string();
  const auto direct = figures(run("infer --model " + file + " --format json", env));
  CHECK(figures(run("infer --model lmstudio:lmstudio-community/Qwen3-8B-GGUF --format json", env)) == direct);
  CHECK(figures(run("infer --model llamacpp:bartowski/Qwen3-8B-GGUF:q4_k_m --format json", env)) == direct);
  check_error(run("infer --model lmstudio:lmstudio-community/Qwen3-8B-GGUF:Q8_0", env), 3,
              "no GGUF file for 'Q8_0' (GGUF files: Qwen3-8B-Q4_K_M.gguf)");
  check_error(run("infer --model llamacpp:nobody/nothing", env), 3, "is not in llama.cpp's cache");
  check_error(run("infer --model lmstudio:../../etc", env), 2, "is not PUBLISHER/REPO");
}

TEST_CASE("cli: models --local lists the stores' models in every format", "[cli][stores]") {
  llmmem::test::TempDir dir("cli_stores_list");
  const std::string gguf = tiny_gguf();
  dir.write("models/blobs/sha256-" + k_blob_hex, gguf);
  dir.write("models/manifests/registry.ollama.ai/library/llama3.1/8b", manifest("sha256:" + k_blob_hex));
  dir.write("home/.lmstudio/models/pub/Repo-GGUF/Repo-Q4_K_M.gguf", gguf);
  const std::string env = "OLLAMA_MODELS='" + (dir.path() / "models").string() + "' HOME='" +
                          (dir.path() / "home").string() + "' LLAMA_CACHE='" + (dir.path() / "none").string() + "'";
  const Result r = run("models --local --format json", env);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["command"] == "models");
  const nlohmann::json expected = {
      {{"store", "ollama"},
       {"name", "ollama:llama3.1:8b"},
       {"bytes", gguf.size()},
       {"file", (dir.path() / "models/blobs" / ("sha256-" + k_blob_hex)).string()}},
      {{"store", "lmstudio"},
       {"name", "lmstudio:pub/Repo-GGUF:Repo-Q4_K_M.gguf"},
       {"bytes", gguf.size()},
       {"file", (dir.path() / "home/.lmstudio/models/pub/Repo-GGUF/Repo-Q4_K_M.gguf").string()}}};
  CHECK(j["local_models"] == expected);
  const Result csv = run("models --local --format csv", env);
  CHECK(csv.out.rfind("store,name,bytes,file\n", 0) == 0);
  const Result table = run("models --local", env);
  CHECK(table.out.find("ollama:llama3.1:8b") != std::string::npos);
  // Each listed name is what --model takes.
  CHECK(run("infer --model lmstudio:pub/Repo-GGUF:Repo-Q4_K_M.gguf", env).code == 0);
}
