#include "log/access_log_format.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace qilin::log {
namespace {

AccessRecord sample() {
  static std::map<std::string, std::string> req = {
      {"referer", "http://example.com/"}, {"user-agent", "curl/8 \"quoted\""}, {"x-request-id", "abc"}};
  static std::map<std::string, std::string> resp = {{"content-type", "text/plain"}};
  AccessRecord r;
  r.remote_addr = "127.0.0.1";
  r.method = "GET";
  r.raw_uri = "/a%20b?x=1";
  r.protocol = "HTTP/1.1";
  r.path_info = "/a b";
  r.query = "x=1";
  r.status = 200;
  r.bytes_sent = 13;
  r.duration_us = 1234567;
  r.start_unix_seconds = 0;
  r.request_header = [](std::string_view k) -> std::optional<std::string_view> {
    auto it = req.find(std::string(k));
    if (it == req.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  r.response_header = [](std::string_view k) -> std::optional<std::string_view> {
    auto it = resp.find(std::string(k));
    if (it == resp.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  r.environ_value = [](std::string_view k) -> std::optional<std::string> {
    if (k == "remote_addr") return std::string("127.0.0.1");
    return std::nullopt;
  };
  return r;
}

std::string render(std::string_view format, const AccessRecord& r = sample()) {
  auto f = AccessLogFormat::compile(format);
  EXPECT_TRUE(f) << f.message();
  std::string out;
  if (f) f->render(r, &out);
  return out;
}

TEST(AccessLogFormat, GunicornsDefaultFormat) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(render(R"(%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s")"),
            R"(127.0.0.1 - - [01/Jan/1970:00:00:00 +0000] "GET /a%20b?x=1 HTTP/1.1" 200 13 "http://example.com/" "curl/8 \"quoted\"")");
}

TEST(AccessLogFormat, EveryAtom) {
  EXPECT_EQ(render("%(m)s %(U)s %(q)s %(H)s %(B)s %(T)s %(M)s %(D)s %(L)s"),
            "GET /a b x=1 HTTP/1.1 13 1 1234 1234567 1.234567");
  EXPECT_EQ(render("%(p)s"), "<" + std::to_string(getpid()) + ">");
}

TEST(AccessLogFormat, HeadersAndEnvironAreCaseInsensitive) {
  EXPECT_EQ(render("%({X-Request-ID}i)s %({content-type}o)s %({REMOTE_ADDR}e)s"),
            "abc text/plain 127.0.0.1");
  EXPECT_EQ(render("%({missing}i)s %({missing}o)s %({missing}e)s"), "- - -");
}

TEST(AccessLogFormat, UnknownAtomsAndLiterals) {
  EXPECT_EQ(render("%(zz)s 100%% done %(s)d"), "- 100% done 200");
  AccessRecord r = sample();
  r.bytes_sent = -1;
  EXPECT_EQ(render("%(b)s", r), "-");
  r.remote_addr = "";
  EXPECT_EQ(render("%(h)s", r), "-");
}

TEST(AccessLogFormat, CompileErrors) {
  EXPECT_FALSE(AccessLogFormat::compile("%(h"));
  EXPECT_FALSE(AccessLogFormat::compile("50% off"));
  EXPECT_FALSE(AccessLogFormat::compile("%(h)"));
}

TEST(AccessLogFormat, BasicAuthUser) {
  EXPECT_EQ(basic_auth_user("Basic dXNlcjpwYXNz"), "user");  // user:pass
  EXPECT_EQ(basic_auth_user("Bearer xyz"), "");
  EXPECT_EQ(basic_auth_user("Basic !!!"), "");
}

}  // namespace
}  // namespace qilin::log
