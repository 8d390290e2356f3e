// The seam between qilin and libqilin-tls.so, the shared library that holds
// qilin's OpenSSL code (src/tls/openssl/). qilin does not link OpenSSL: a
// process maps libssl and libcrypto (about 1.7 MiB of relocated pages) only
// once TLS is used, that is when ServerContext::create or ::adopt (or one of
// the OpenSSL functions in server_context.h) is first called.
//
// The library exports one C function, kLibraryEntry, returning a table of
// function pointers; the static functions of ServerContext and Session and
// the free functions of server_context.h forward through it. The table's
// types are C++ (std::string, shared_ptr, Result): the two sides are always
// built together, by the same compiler, from the same tree, and kLibraryAbi
// refuses a library left over from a build whose table or classes differ.
// Bump it when Library, Settings, ServerContext or Session change.
//
// Loaded once per process, never unloaded (objects it made may live until
// exit); the answer, success or error, is kept. Thread-safe. Loading in the
// master before forking, as the TLS context is made there, means workers
// inherit it.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "tls/server_context.h"
#include "tls/session.h"

namespace qilin::tls {

inline constexpr unsigned kLibraryAbi = 1;
// Looked for in the directory of the running executable (/proc/self/exe),
// where the build puts it next to qilin and the unit-test binaries.
inline constexpr const char* kLibraryFile = "libqilin-tls.so";
inline constexpr const char* kLibraryEntry = "qilin_tls_library";

struct Library {
  unsigned abi;  // kLibraryAbi of the build that made the library
  Result<std::shared_ptr<const ServerContext>> (*create)(const Settings& settings);
  Result<std::shared_ptr<const ServerContext>> (*adopt)(ssl_ctx_st* ctx, Settings settings,
                                                        std::shared_ptr<const void> owner);
  std::unique_ptr<Session> (*accept)(const ServerContext& context, int fd);
  unsigned long (*openssl_version_number)();
  const char* (*openssl_version_text)();
  bool (*shares_libssl)(const std::string& path);
};

// What kLibraryEntry is: the table lives as long as the process.
using LibraryEntry = const Library* (*)();

// Loads libqilin-tls.so on the first call. The table, or one line:
// "TLS: cannot load /path/libqilin-tls.so: <why>".
const Result<const Library*>& library();

}  // namespace qilin::tls
