#include "tls/library.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <string_view>

namespace qilin::tls {

namespace {

// The library's path: beside the running executable; the bare name (the
// dynamic linker's search) if /proc cannot say where that is.
std::string library_path() {
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe));
  if (n <= 0 || size_t(n) >= sizeof(exe)) return kLibraryFile;
  std::string path(exe, size_t(n));
  const size_t slash = path.rfind('/');
  return path.substr(0, slash + 1) + kLibraryFile;
}

Result<const Library*> load() {
  const std::string path = library_path();
  const std::string failed = "TLS: cannot load " + path + ": ";
  // RTLD_NOW: a missing symbol is an error here, not a crash at first use.
  // RTLD_LOCAL: nothing it defines or links is offered to later objects;
  // Python's _ssl still finds the same libssl.so.3, by its soname.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    // dlerror() names the file again: "<path>: cannot open shared object file: ...".
    const char* error = ::dlerror();
    std::string_view why = error ? error : "unknown dlopen error";
    if (why.starts_with(path + ": ")) why.remove_prefix(path.size() + 2);
    return Result<const Library*>::error(failed + std::string(why));
  }
  auto entry = reinterpret_cast<LibraryEntry>(::dlsym(handle, kLibraryEntry));
  if (!entry) {
    return Result<const Library*>::error(failed + "it has no " + kLibraryEntry +
                                         " (not qilin's TLS library?)");
  }
  const Library* table = entry();
  if (table->abi != kLibraryAbi) {
    return Result<const Library*>::error(failed + "it is from another build of qilin (ABI " +
                                         std::to_string(table->abi) + ", qilin's is " +
                                         std::to_string(kLibraryAbi) + ")");
  }
  return table;  // the handle is never closed: its objects may live until exit
}

}  // namespace

const Result<const Library*>& library() {
  static const Result<const Library*> loaded = load();
  return loaded;
}

// The public functions of server_context.h and session.h, forwarded.

Result<std::shared_ptr<const ServerContext>> ServerContext::create(const Settings& settings) {
  const auto& lib = library();
  if (!lib) return lib.status();
  return (*lib)->create(settings);
}

Result<std::shared_ptr<const ServerContext>> ServerContext::adopt(
    ssl_ctx_st* ctx, Settings settings, std::shared_ptr<const void> owner) {
  const auto& lib = library();
  if (!lib) return lib.status();
  return (*lib)->adopt(ctx, std::move(settings), std::move(owner));
}

std::unique_ptr<Session> Session::accept(const ServerContext& context, int fd) {
  // A context exists, so the library is loaded; this only reads the table.
  const auto& lib = library();
  return lib ? (*lib)->accept(context, fd) : nullptr;
}

unsigned long openssl_version_number() {
  const auto& lib = library();
  return lib ? (*lib)->openssl_version_number() : 0;
}

const char* openssl_version_text() {
  const auto& lib = library();
  return lib ? (*lib)->openssl_version_text() : "no OpenSSL (libqilin-tls.so is not loaded)";
}

bool shares_libssl(const std::string& path) {
  const auto& lib = library();
  return lib && (*lib)->shares_libssl(path);
}

}  // namespace qilin::tls
