// Other tools' model stores (local_stores.hpp), from stand-in folders laid out as Ollama, LM Studio
// and llama.cpp lay them out (docs/local-stores.md gives the source of each fact).
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include "file_writers.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "llmmem/local_stores.hpp"
#include "llmmem/model_files.hpp"
#include "test_support.hpp"

using namespace llmmem;
namespace fs = std::filesystem;

namespace {

// A 64-hex digest whose last digit is `n` (the content is not hashed: llmmem, like Ollama's
// reader, takes the manifest's word for which blob is which).
std::string digest(char n) { return "sha256:" + std::string(63, 'a') + n; }

// A small Llama GGUF (llama_metadata: 2 layers, hidden 256) with one f16 output tensor 256 × 1000.
std::string tiny_gguf() {
  test::Gguf g;
  test::llama_metadata(g);
  g.tensor("output.weight", {256, 1000}, 1, 256ULL * 1000 * 2);
  return g.bytes();
}

std::string manifest(const std::string& model_digest, const std::string& extra_layers = "") {
  // As Ollama writes it (manifest.WriteManifest: schemaVersion 2, the docker v2 media type).
  return R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
         R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
         digest('c') + R"(","size":485},"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":")" +
         model_digest + R"(","size":4920734752})" + extra_layers +
         R"(,{"mediaType":"application/vnd.ollama.image.params","digest":")" + digest('d') + R"(","size":96}]})";
}

// An Ollama store under `dir`/models holding llama3.1:8b and llama3.1:latest.
fs::path ollama_store(const test::TempDir& dir) {
  dir.write("models/blobs/sha256-" + std::string(63, 'a') + "1", tiny_gguf());
  dir.write("models/manifests/registry.ollama.ai/library/llama3.1/8b", manifest(digest('1')));
  dir.write("models/manifests/registry.ollama.ai/library/llama3.1/latest", manifest(digest('1')));
  return dir.path() / "models";
}

LocalStorePaths ollama_only(const fs::path& models) {
  LocalStorePaths p;
  p.ollama_models = models;
  return p;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("parse_ollama_name splits names as Ollama's ParseName, defaults filled in", "[stores][ollama]") {
  const auto n = parse_ollama_name("llama3.1:8b");
  REQUIRE(n);
  CHECK(n->host == "registry.ollama.ai");
  CHECK(n->ns == "library");
  CHECK(n->model == "llama3.1");
  CHECK(n->tag == "8b");
  CHECK(n->shortest() == "llama3.1:8b");
  CHECK(parse_ollama_name("llama3.1")->tag == "latest");
  const auto user = parse_ollama_name("user/model:q4");
  CHECK((user->ns == "user" && user->model == "model" && user->shortest() == "user/model:q4"));
  const auto hf = parse_ollama_name("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  REQUIRE(hf);
  CHECK(hf->host == "hf.co");
  CHECK(hf->ns == "bartowski");
  CHECK(hf->tag == "Q4_K_M");
  CHECK(hf->shortest() == "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  CHECK(parse_ollama_name("https://localhost:11434/a/b:c")->host == "localhost:11434");
  // Not names: nothing may become a path component that leaves the manifests folder.
  for (const char* bad : {"", ":8b", "llama3.1:", "/x", "a//b", "../x", "a/../b", "x/..", "a b", ".hidden", "a/b.c/d",
                          "-x", "a:b/c:..", "x:../../etc"})
    CHECK_FALSE(parse_ollama_name(bad));
  CHECK_FALSE(parse_ollama_name(std::string(81, 'a')));  // 80 characters at most (isValidLen)
}

TEST_CASE("local_store_paths follows each tool's environment variables and defaults", "[stores]") {
  StoreEnvironment env;
  env.home = "/h";
  LocalStorePaths p = local_store_paths(env);
  CHECK(p.ollama_models == fs::path("/h/.ollama/models"));
  CHECK(p.llamacpp_cache == fs::path("/h/.cache/huggingface/hub"));
  CHECK(p.llamacpp_legacy_cache == fs::path("/h/.cache/llama.cpp"));
  CHECK(p.user_home == fs::path("/h"));
  env.xdg_cache_home = "/x";
  p = local_store_paths(env);
  CHECK(p.llamacpp_cache == fs::path("/x/huggingface/hub"));
  CHECK(p.llamacpp_legacy_cache == fs::path("/x/llama.cpp"));
  env.hf_home = "/hf";
  CHECK(local_store_paths(env).llamacpp_cache == fs::path("/hf/hub"));
  env.huggingface_hub_cache = "/old";
  CHECK(local_store_paths(env).llamacpp_cache == fs::path("/old"));
  env.hf_hub_cache = "/new";
  CHECK(local_store_paths(env).llamacpp_cache == fs::path("/new"));
  env.llama_cache = "/l";
  p = local_store_paths(env);
  CHECK(p.llamacpp_cache == fs::path("/l"));
  CHECK(p.llamacpp_legacy_cache == fs::path("/l"));
  // envconfig.Var trims spaces, then quotes.
  env.ollama_models = "  '/o m'  ";
  CHECK(local_store_paths(env).ollama_models == fs::path("/o m"));
  StoreEnvironment none;
  p = local_store_paths(none);
  CHECK(p.ollama_models.empty());
  CHECK(p.llamacpp_cache.empty());
}

TEST_CASE("ollama: a name resolves to its GGUF blob and estimates as that file under Ollama", "[stores][ollama]") {
  test::TempDir dir("stores_ollama");
  const fs::path models = ollama_store(dir);
  const fs::path blob = models / "blobs" / ("sha256-" + std::string(63, 'a') + "1");
  const auto files = find_in_ollama(models, *parse_ollama_name("llama3.1:8b"));
  REQUIRE(files);
  CHECK(files->model == blob);
  CHECK(files->manifest == models / "manifests/registry.ollama.ai/library/llama3.1/8b");
  CHECK_FALSE(files->projector);
  CHECK_FALSE(find_in_ollama(models, *parse_ollama_name("qwen3:8b")));

  ResolveOptions o;
  o.stores = ollama_only(models);
  const Model m = resolve_model(test::catalog(), "ollama:llama3.1:8b", o);
  CHECK(m.name == "llama3.1:8b");
  REQUIRE(m.engine);
  CHECK(m.engine->id == "ollama");
  Model direct = load_model_path(blob);
  CHECK(direct.engine->id == "llama.cpp");
  direct.engine = &find_engine("ollama");
  const Request r = test::infer(nullptr, 1, 4096);
  const Estimate a = estimate(m, r), b = estimate(direct, r);
  CHECK(a.total == b.total);
  CHECK(a.total.count() > 256ULL * 1000 * 2);  // at least the output tensor
  REQUIRE(a.components.size() == b.components.size());
  for (std::size_t i = 0; i < a.components.size(); ++i) CHECK(a.components[i].bytes == b.components[i].bytes);
  // A plain name reaches Ollama when nothing else has it; "latest" is the default tag.
  CHECK(resolve_model(test::catalog(), "llama3.1:8b", o).name == "llama3.1:8b");
  CHECK(resolve_model(test::catalog(), "llama3.1", o).name == "llama3.1:latest");
  // A catalog name still means the catalog.
  CHECK(resolve_model(test::catalog(), "llama3-8b", o).engine == nullptr);
  // A name Ollama lacks falls through to the usual unknown-model error.
  CHECK(message_of([&] { (void)resolve_model(test::catalog(), "qwen9:1b", o); }).rfind("unknown model 'qwen9:1b'", 0) ==
        0);
  // Ollama's own spelling of a Hugging Face GGUF (host hf.co) and a namespaced name, as plain names.
  dir.write("models/manifests/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF/Q4_K_M", manifest(digest('1')));
  dir.write("models/manifests/registry.ollama.ai/someone/tiny/q8", manifest(digest('1')));
  CHECK(resolve_model(test::catalog(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", o).name ==
        "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  CHECK(resolve_model(test::catalog(), "someone/tiny:q8", o).name == "someone/tiny:q8");
}

TEST_CASE("ollama: a missing tag names the tags the store has", "[stores][ollama]") {
  test::TempDir dir("stores_ollama_tag");
  const fs::path models = ollama_store(dir);
  ResolveOptions o;
  o.stores = ollama_only(models);
  const std::string folder = (models / "manifests/registry.ollama.ai/library/llama3.1").string();
  const std::string expected = "ollama: llama3.1 has no tag '70b' in " + folder + " (tags: 8b, latest)";
  CHECK(message_of([&] { (void)resolve_model(test::catalog(), "ollama:llama3.1:70b", o); }) == expected);
  CHECK(message_of([&] { (void)resolve_model(test::catalog(), "llama3.1:70b", o); }) == expected);
  // A model the store lacks: a plain name falls through to the usual unknown-model error, a
  // prefixed one says where it looked and what is close.
  CHECK(message_of([&] { (void)resolve_model(test::catalog(), "ollama:llama3.2:8b", o); }) ==
        "ollama: no model 'llama3.2:8b' in Ollama's store (" + models.string() +
            ") (did you mean llama3.1:8b, llama3.1:latest?); `ollama list` shows what it holds");
  CHECK(message_of([&] {
          (void)resolve_model(test::catalog(), "ollama:../x", o);
        }).find("is not an Ollama model name") != std::string::npos);
}

TEST_CASE("ollama: hostile manifests are InputErrors naming the file, never a path outside blobs/",
          "[stores][ollama]") {
  test::TempDir dir("stores_ollama_hostile");
  const fs::path models = ollama_store(dir);
  const std::string folder = "models/manifests/registry.ollama.ai/library/bad/";
  const auto error_for = [&](const std::string& tag) {
    return message_of([&] { (void)load_from_local_store("ollama:bad:" + tag, ollama_only(models)); });
  };
  const auto path_of = [&](const std::string& tag) { return (dir.path() / folder / tag).string(); };
  dir.write(folder + "json", "{\"layers\": [");
  CHECK(error_for("json") == path_of("json") + ": not an Ollama manifest (not a JSON object)");
  dir.write(folder + "nolayers", R"({"schemaVersion": 2})");
  CHECK(error_for("nolayers") == path_of("nolayers") + ": not an Ollama manifest (no \"layers\" array)");
  dir.write(folder + "layertype", R"({"layers": [{"mediaType": 5, "digest": "x"}]})");
  CHECK(error_for("layertype") == path_of("layertype") + ": layer 0 has no string mediaType and digest");
  dir.write(folder + "nomodel", R"({"layers": []})");
  CHECK(error_for("nomodel") == path_of("nomodel") + ": has no model layer (application/vnd.ollama.image.model)");
  dir.write(folder + "tensors", R"({"layers": [{"mediaType": "application/vnd.ollama.image.tensor", "digest": ")" +
                                    digest('e') + R"("}]})");
  CHECK(error_for("tensors") == path_of("tensors") +
                                    ": holds 1 tensor layers (application/vnd.ollama.image.tensor) and no GGUF model "
                                    "layer; llmmem reads Ollama's GGUF models only");
  // Traversal: only sha256 and 64 hex digits name a blob (manifest/paths.go BlobsPath).
  dir.write("etc/passwd", tiny_gguf());
  for (const std::string& d : std::vector<std::string>{
           "sha256:../../etc/passwd", "sha256-../../../etc/passwd", "/etc/passwd", "sha256:" + std::string(64, '.'),
           "sha512:" + std::string(64, 'a'), "sha256:" + std::string(63, 'a') + "/"}) {
    INFO(d);
    dir.write(folder + "traversal", manifest(d));
    CHECK(error_for("traversal") == path_of("traversal") + ": layer digest '" + d + "' is not sha256:<64 hex digits>");
  }
  dir.write(folder + "projector", manifest(digest('1'), R"(,{"mediaType":"application/vnd.ollama.image.projector",)"
                                                        R"("digest":"sha256:../../etc/passwd"})"));
  CHECK(error_for("projector").find("layer digest 'sha256:../../etc/passwd'") != std::string::npos);
  // A blob the store lacks.
  dir.write(folder + "missing", manifest(digest('9')));
  const std::string missing_blob = (models / "blobs" / ("sha256-" + std::string(63, 'a') + "9")).string();
  CHECK(error_for("missing") == missing_blob + ": blob named by " + path_of("missing") +
                                    " is missing (`ollama pull bad:missing` fetches it again)");
  // A blob that is not GGUF (a safetensors-era layer).
  dir.write("models/blobs/sha256-" + std::string(63, 'a') + "8", std::string(64, 'x'));
  dir.write(folder + "notgguf", manifest(digest('8')));
  CHECK(error_for("notgguf") == (models / "blobs" / ("sha256-" + std::string(63, 'a') + "8")).string() +
                                    ": the model layer of " + path_of("notgguf") + " is not a GGUF file");
  // Symbolic links: neither a manifest nor a blob is followed.
  fs::create_symlink(dir.path() / "etc/passwd", dir.path() / folder / "link");
  CHECK(error_for("link") ==
        path_of("link") +
            ": is a symbolic link; Ollama's manifests are regular files, so llmmem does not follow "
            "one");
  fs::create_symlink(dir.path() / "etc/passwd", models / "blobs" / ("sha256-" + std::string(63, 'a') + "7"));
  dir.write(folder + "blob-link", manifest(digest('7')));
  CHECK(error_for("blob-link") == (models / "blobs" / ("sha256-" + std::string(63, 'a') + "7")).string() +
                                      ": is a symbolic link; Ollama's blobs are regular files, so llmmem does not "
                                      "follow one");
  // A huge manifest is refused by its size, before it is read.
  dir.write(folder + "huge", std::string((1U << 20) + 1, ' '));
  CHECK(error_for("huge") == path_of("huge") + ": file is 1048577 bytes, more than the 1048576 allowed");
  // A folder where the manifest should be.
  fs::create_directories(dir.path() / folder / "dir");
  CHECK(error_for("dir") == path_of("dir") + ": not a regular file");
}

TEST_CASE("ollama: the projector layer is attached as --mmproj would attach it", "[stores][ollama][vision]") {
  test::TempDir dir("stores_ollama_proj");
  const fs::path models = ollama_store(dir);
  // A LLaVA-style projector (tests/file_writers.hpp): CLIP at 336 px, patch 14, two f16 tensors.
  const test::Gguf proj = test::llava_projector();
  dir.write("models/blobs/sha256-" + std::string(63, 'a') + "2", proj.bytes());
  dir.write("models/manifests/registry.ollama.ai/library/llava/7b",
            manifest(digest('1'), R"(,{"mediaType":"application/vnd.ollama.image.projector","digest":")" + digest('2') +
                                      R"(","size":624434368})"));
  const auto m = load_from_local_store("llava:7b", ollama_only(models));
  REQUIRE(m);
  REQUIRE(m->vision_files);
  CHECK(m->vision_files->tensors.size() == 2);
  REQUIRE(m->config.vision);
  CHECK(m->config.vision->tokens_per_image == 576);  // (336 / 14)², LLaVA's patches
  // The estimate's vision line holds the two tensors as stored: 2 × 1024 × 4096 × 2 B.
  CHECK(test::bytes_of(estimate(*m, test::infer()), "vision_weights") == 2ULL * 1024 * 4096 * 2);
}

TEST_CASE("lmstudio: the home pointer, settings.json's downloadsFolder and the quant pick a GGUF", "[stores]") {
  test::TempDir dir("stores_lmstudio");
  const fs::path home = dir.path() / "home";
  fs::create_directories(home);
  // No pointer, no ~/.cache/lm-studio: ~/.lmstudio (findLMStudioHome), and its models/ folder.
  CHECK(lmstudio_home(home) == home / ".lmstudio");
  CHECK(lmstudio_models_folder(home / ".lmstudio") == home / ".lmstudio" / "models");
  fs::create_directories(home / ".cache" / "lm-studio");
  CHECK(lmstudio_home(home) == home / ".cache" / "lm-studio");
  dir.write("home/.lmstudio-home-pointer", (dir.path() / "lms").string() + "\n");
  CHECK(lmstudio_home(home) == dir.path() / "lms");
  dir.write("lms/settings.json", R"({"downloadsFolder": ")" + (dir.path() / "disk").string() + R"("})");
  CHECK(lmstudio_models_folder(dir.path() / "lms") == dir.path() / "disk");
  dir.write("lms/settings.json", R"({"downloadsFolder": 3})");  // not a string: the default, as lms
  CHECK(lmstudio_models_folder(dir.path() / "lms") == dir.path() / "lms" / "models");
  dir.write("lms/settings.json", "{");
  CHECK(lmstudio_models_folder(dir.path() / "lms") == dir.path() / "lms" / "models");

  const fs::path models = dir.path() / "lms" / "models";
  const std::string repo = "lmstudio-community/Llama-3.2-1B-Instruct-GGUF";
  dir.write("lms/models/" + repo + "/Llama-3.2-1B-Instruct-Q4_K_M.gguf", tiny_gguf());
  dir.write("lms/models/" + repo + "/Llama-3.2-1B-Instruct-Q8_0.gguf", tiny_gguf());
  dir.write("lms/models/" + repo + "/mmproj-model-f16.gguf", tiny_gguf());
  CHECK(*find_in_lmstudio(models, repo, "q8_0") == models / repo / "Llama-3.2-1B-Instruct-Q8_0.gguf");
  CHECK(*find_in_lmstudio(models, repo, "Llama-3.2-1B-Instruct-Q4_K_M.gguf") ==
        models / repo / "Llama-3.2-1B-Instruct-Q4_K_M.gguf");
  CHECK_FALSE(find_in_lmstudio(models, "nobody/nothing", ""));
  const std::string where = (models / repo).string();
  CHECK(message_of([&] { (void)find_in_lmstudio(models, repo, ""); }) ==
        where +
            ": holds 2 models; add the quant or file to the name (:Q4_K_M): Llama-3.2-1B-Instruct-Q4_K_M.gguf, "
            "Llama-3.2-1B-Instruct-Q8_0.gguf");
  CHECK(message_of([&] { (void)find_in_lmstudio(models, repo, "Q6_K"); }) ==
        where +
            ": no GGUF file for 'Q6_K' (GGUF files: Llama-3.2-1B-Instruct-Q4_K_M.gguf, "
            "Llama-3.2-1B-Instruct-Q8_0.gguf)");
  CHECK(message_of([&] { (void)find_in_lmstudio(models, "../x", ""); }) == "lmstudio: '../x' is not PUBLISHER/REPO");
  CHECK(message_of([&] { (void)find_in_lmstudio(models, "a/..", ""); }) == "lmstudio: 'a/..' is not PUBLISHER/REPO");
  // Through resolve_model, with the user's home.
  ResolveOptions o;
  o.stores.user_home = home;
  const Model m = resolve_model(test::catalog(), "lmstudio:" + repo + ":Q4_K_M", o);
  CHECK(m.name == "lmstudio:" + repo + ":Q4_K_M");
  CHECK(m.engine->id == "llama.cpp");
  CHECK(estimate(m, test::infer()).total ==
        estimate(load_model_path(models / repo / "Llama-3.2-1B-Instruct-Q4_K_M.gguf"), test::infer()).total);
}

TEST_CASE("llamacpp: the Hugging Face layout of newer releases and the flat files of older ones", "[stores]") {
  test::TempDir dir("stores_llamacpp");
  LocalStorePaths p;
  p.llamacpp_cache = dir.path() / "hub";
  p.llamacpp_legacy_cache = dir.path() / "flat";
  fs::create_directories(p.llamacpp_legacy_cache);
  const std::string commit(40, 'b');
  const fs::path repo = p.llamacpp_cache / "models--bartowski--Qwen3-8B-GGUF";
  dir.write("hub/models--bartowski--Qwen3-8B-GGUF/refs/main", commit);
  // huggingface_hub's layout: snapshot entries are links into blobs/.
  for (const char* f : {"Qwen3-8B-Q8_0.gguf", "Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-IQ4_XS.gguf"}) {
    const std::string blob = std::string("hub/models--bartowski--Qwen3-8B-GGUF/blobs/") + f + ".blob";
    dir.write(blob, tiny_gguf());
    fs::create_directories(repo / "snapshots" / commit);
    fs::create_symlink(fs::path("../../blobs") / (std::string(f) + ".blob"), repo / "snapshots" / commit / f);
  }
  const fs::path snap = repo / "snapshots" / commit;
  // No tag: Q4_K_M first (download.cpp find_best_model), then by tag, case-insensitively.
  CHECK(*find_in_llamacpp_cache(p, "bartowski/Qwen3-8B-GGUF", "") == snap / "Qwen3-8B-Q4_K_M.gguf");
  CHECK(*find_in_llamacpp_cache(p, "bartowski/Qwen3-8B-GGUF", "iq4_xs") == snap / "Qwen3-8B-IQ4_XS.gguf");
  CHECK(*find_in_llamacpp_cache(p, "bartowski/Qwen3-8B-GGUF", "Q8_0") == snap / "Qwen3-8B-Q8_0.gguf");
  CHECK(message_of([&] { (void)find_in_llamacpp_cache(p, "bartowski/Qwen3-8B-GGUF", "Q2_K"); }) ==
        snap.string() +
            ": no GGUF file for 'Q2_K' (GGUF files: Qwen3-8B-IQ4_XS.gguf, Qwen3-8B-Q4_K_M.gguf, "
            "Qwen3-8B-Q8_0.gguf)");
  // A snapshot link that leaves the repository folder is refused.
  dir.write("outside.gguf", tiny_gguf());
  fs::create_symlink(dir.path() / "outside.gguf", snap / "Qwen3-8B-Q6_K.gguf");
  CHECK(message_of([&] { (void)find_in_llamacpp_cache(p, "bartowski/Qwen3-8B-GGUF", "Q6_K"); }) ==
        (snap / "Qwen3-8B-Q6_K.gguf").string() + ": points outside " + repo.string());
  fs::remove(snap / "Qwen3-8B-Q6_K.gguf");
  // Older releases: ORG_REPO_FILE in the flat cache, split sets by their first part.
  dir.write("flat/unsloth_gpt-oss-20b-GGUF_gpt-oss-20b-Q4_K_M.gguf", tiny_gguf());
  dir.write("flat/unsloth_gpt-oss-20b-GGUF_gpt-oss-20b-Q4_K_M.gguf.etag", "x");
  dir.write("flat/unsloth_gpt-oss-20b-GGUF_F16_gpt-oss-20b-F16-00002-of-00002.gguf", tiny_gguf());
  dir.write("flat/unsloth_gpt-oss-20b-GGUF_F16_gpt-oss-20b-F16-00001-of-00002.gguf", tiny_gguf());
  CHECK(*find_in_llamacpp_cache(p, "unsloth/gpt-oss-20b-GGUF", "") ==
        p.llamacpp_legacy_cache / "unsloth_gpt-oss-20b-GGUF_gpt-oss-20b-Q4_K_M.gguf");
  CHECK(*find_in_llamacpp_cache(p, "unsloth/gpt-oss-20b-GGUF", "F16") ==
        p.llamacpp_legacy_cache / "unsloth_gpt-oss-20b-GGUF_F16_gpt-oss-20b-F16-00001-of-00002.gguf");
  CHECK_FALSE(find_in_llamacpp_cache(p, "nobody/nothing", ""));
  CHECK(message_of([&] { (void)find_in_llamacpp_cache(p, "nothing", ""); }) ==
        "llamacpp: 'nothing' is not ORG/REPO (llama.cpp's -hf spelling)");
  ResolveOptions o;
  o.stores = p;
  const Model m = resolve_model(test::catalog(), "llamacpp:bartowski/Qwen3-8B-GGUF:Q8_0", o);
  CHECK(m.name == "llamacpp:bartowski/Qwen3-8B-GGUF:Q8_0");
  CHECK(m.engine->id == "llama.cpp");
  CHECK(message_of([&] { (void)resolve_model(test::catalog(), "llamacpp:nobody/nothing", o); }) ==
        "llamacpp: nobody/nothing is not in llama.cpp's cache (looked for " +
            (p.llamacpp_cache / "models--nobody--nothing").string() + " and " +
            (p.llamacpp_legacy_cache / "nobody_nothing").string() + "_*.gguf)");
}

TEST_CASE("list_local_models lists every store's models, side files skipped, split sets summed", "[stores]") {
  test::TempDir dir("stores_list");
  const fs::path models = ollama_store(dir);  // llama3.1:8b and llama3.1:latest, one blob
  dir.write("models/manifests/registry.ollama.ai/library/broken/latest", "{");
  const std::string gguf = tiny_gguf();
  const auto size = static_cast<std::uint64_t>(gguf.size());
  dir.write("home/.lmstudio/models/pub/Repo-GGUF/Repo-Q4_K_M.gguf", gguf);
  dir.write("home/.lmstudio/models/pub/Repo-GGUF/mmproj-Repo-f16.gguf", gguf);  // a side file
  dir.write("home/.lmstudio/models/pub/Repo-GGUF/README.md", "not a model");
  // llama.cpp, newer layout: a split set of two parts, each a link into blobs/.
  const std::string commit(40, 'c');
  const fs::path snap = dir.path() / "hub/models--org--Big-GGUF/snapshots" / commit;
  dir.write("hub/models--org--Big-GGUF/refs/main", commit + "\n");
  fs::create_directories(snap / "Q8_0");
  // The second part holds the rest of the tensors (gguf-split): here the output norm alone.
  test::Gguf rest;
  test::llama_metadata(rest);
  rest.tensor("output_norm.weight", {256}, 0, 1024);
  const std::string second = rest.bytes();
  for (const char* part : {"00001", "00002"}) {
    const std::string f = std::string("Big-Q8_0-") + part + "-of-00002.gguf";
    dir.write("hub/models--org--Big-GGUF/blobs/" + std::string(part), part == std::string("00001") ? gguf : second);
    fs::create_symlink(fs::path("../../../blobs") / part, snap / "Q8_0" / f);
  }
  // llama.cpp, older flat layout: the repositories its manifest files name.
  dir.write("flat/manifest=old=Small-GGUF=latest.json", "{}");
  dir.write("flat/old_Small-GGUF_Small-Q4_0.gguf", gguf);
  dir.write("flat/old_Small-GGUF_Small-Q4_0.gguf.etag", "\"x\"");
  dir.write("flat/stray_file.gguf", gguf);  // no manifest names it
  LocalStorePaths p;
  p.ollama_models = models;
  p.user_home = dir.path() / "home";
  p.llamacpp_cache = dir.path() / "hub";
  p.llamacpp_legacy_cache = dir.path() / "flat";
  const auto rows = list_local_models(p);
  REQUIRE(rows.size() == 6);
  const std::string blob = (models / "blobs" / ("sha256-" + std::string(63, 'a') + "1")).string();
  CHECK(rows[0].name == "ollama:broken:latest");
  CHECK(rows[0].file == (models / "manifests/registry.ollama.ai/library/broken/latest").string() +
                            ": not an Ollama manifest (not a JSON object)");
  CHECK_FALSE(rows[0].bytes);
  CHECK((rows[1].name == "ollama:llama3.1:8b" && rows[1].file == blob && rows[1].bytes == size));
  CHECK((rows[2].name == "ollama:llama3.1:latest" && rows[2].file == blob && rows[2].bytes == size));
  CHECK(rows[3].store == "lmstudio");
  CHECK(rows[3].name == "lmstudio:pub/Repo-GGUF:Repo-Q4_K_M.gguf");
  CHECK(rows[3].bytes == size);
  CHECK(rows[4].store == "llamacpp");
  CHECK(rows[4].name == "llamacpp:old/Small-GGUF:Small-Q4_0.gguf");
  CHECK(rows[4].file == (dir.path() / "flat/old_Small-GGUF_Small-Q4_0.gguf").string());
  CHECK(rows[4].bytes == size);
  CHECK(rows[5].name == "llamacpp:org/Big-GGUF:Q8_0/Big-Q8_0-00001-of-00002.gguf");
  CHECK(rows[5].file == (snap / "Q8_0/Big-Q8_0-00001-of-00002.gguf").string());
  CHECK(rows[5].bytes == size + second.size());  // both parts
  // Every listed name resolves (the broken one to its error).
  ResolveOptions o;
  o.stores = p;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    INFO(rows[i].name);
    CHECK_NOTHROW((void)resolve_model(test::catalog(), rows[i].name, o));
  }
  CHECK_THROWS_AS((void)resolve_model(test::catalog(), rows[0].name, o), InputError);
  // Absent stores list nothing.
  CHECK(list_local_models(
            LocalStorePaths{dir.path() / "none", dir.path() / "none", dir.path() / "none", dir.path() / "none"})
            .empty());
}
