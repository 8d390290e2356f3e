#include "config/validators.h"

#include <gtest/gtest.h>

namespace qilin::config {
namespace {

TEST(PythonInt, Base10) {
  EXPECT_EQ(python_int("42", 10), 42);
  EXPECT_EQ(python_int(" 42\n", 10), 42);
  EXPECT_EQ(python_int("+7", 10), 7);
  EXPECT_EQ(python_int("-7", 10), -7);
  EXPECT_EQ(python_int("010", 10), 10);
  EXPECT_EQ(python_int("1_000", 10), 1000);
  EXPECT_EQ(python_int("9223372036854775807", 10), INT64_MAX);
  EXPECT_EQ(python_int("-9223372036854775808", 10), INT64_MIN);
  for (const char* bad :
       {"", " ", "abc", "1__0", "_1", "1_", "0x10", "- 1", "1.0", "9223372036854775808"}) {
    EXPECT_EQ(python_int(bad, 10), std::nullopt) << bad;
  }
}

TEST(PythonInt, Base0) {
  EXPECT_EQ(python_int("0x1F", 0), 31);
  EXPECT_EQ(python_int("0o17", 0), 15);
  EXPECT_EQ(python_int("0b101", 0), 5);
  EXPECT_EQ(python_int("0x_ff", 0), 255);
  EXPECT_EQ(python_int("0", 0), 0);
  EXPECT_EQ(python_int("00", 0), 0);
  EXPECT_EQ(python_int("12", 0), 12);
  EXPECT_EQ(python_int("010", 0), std::nullopt);
  EXPECT_EQ(python_int("0x", 0), std::nullopt);
  EXPECT_EQ(python_int("0o8", 0), std::nullopt);
}

TEST(AutoInt, LeadingZeroMeansOctal) {
  EXPECT_EQ(auto_int("022"), 18);
  EXPECT_EQ(auto_int("0022"), 18);
  EXPECT_EQ(auto_int("0o22"), 18);
  EXPECT_EQ(auto_int("0x12"), 18);
  EXPECT_EQ(auto_int("18"), 18);
  EXPECT_EQ(auto_int("0"), 0);
  EXPECT_EQ(auto_int("09"), std::nullopt);
  EXPECT_EQ(auto_int("abc"), std::nullopt);
}

TEST(Validators, CommaListsKeepGunicornsQuirks) {
  const Setting& row = *find_setting("forwarder_headers");
  Environment env = Environment::for_tests();
  Result<Value> v = validate_comma_list(row, Value(std::string("A, ,B,,C ")), env);
  ASSERT_TRUE(v);
  // An item of spaces survives as '', an empty item is dropped.
  EXPECT_EQ(std::get<std::vector<std::string>>(*v), (std::vector<std::string>{"A", "", "B", "C"}));
}

TEST(Validators, AddressLists) {
  const Setting& row = *find_setting("proxy_allow_ips");
  Environment env = Environment::for_tests();
  EXPECT_TRUE(validate_address_list(row, Value(std::string("*")), env));
  EXPECT_TRUE(validate_address_list(row, Value(std::string("::1, fe80::/10")), env));
  EXPECT_EQ(validate_address_list(row, Value(std::string("1.2.3")), env).message(),
            "Invalid value for proxy_allow_ips: '1.2.3' ('1.2.3' does not appear to be an IPv4 "
            "or IPv6 network)");
}

TEST(Validators, HttpProtocols) {
  const Setting& row = *find_setting("http_protocols");
  Environment env = Environment::for_tests();
  Result<Value> v = validate_http_protocols(row, Value(std::string("h2, H1")), env);
  ASSERT_TRUE(v);
  EXPECT_EQ(std::get<std::vector<std::string>>(*v), (std::vector<std::string>{"h2", "h1"}));
  EXPECT_FALSE(validate_http_protocols(row, Value(std::string("h1,h1")), env));
  EXPECT_FALSE(validate_http_protocols(row, Value(std::string("h4")), env));
}

TEST(Validators, FilesOrPatterns) {
  const Setting& row = *find_setting("reload_extra_files");
  Environment env = Environment::for_tests();
  EXPECT_TRUE(validate_files_or_patterns(row, Value(std::string("/etc")), env));
  EXPECT_TRUE(validate_files_or_patterns(row, Value(std::string("/no/*.py")), env));
  EXPECT_EQ(validate_files_or_patterns(row, Value(std::string("/no/file")), env).message(),
            "Invalid value for reload_extra_files: '/no/file' (file '/no/file' does not exist)");
}

TEST(Validators, UsersAndGroups) {
  const Setting& row = *find_setting("user");
  Environment env = Environment::for_tests();
  env.euid = 1000;
  EXPECT_EQ(std::get<int64_t>(*validate_user(row, Value(), env)), 1000);
  EXPECT_EQ(std::get<int64_t>(*validate_user(row, Value(std::string("33")), env)), 33);
  EXPECT_EQ(std::get<int64_t>(*validate_user(row, Value(std::string("root")), env)), 0);
  EXPECT_EQ(validate_user(row, Value(std::string("nobody-here")), env).message(),
            "Invalid value for user: 'nobody-here' (no such user)");
}

TEST(Validators, Http2FrameSize) {
  const Setting& row = *find_setting("http2_max_frame_size");
  Environment env = Environment::for_tests();
  EXPECT_TRUE(validate_http2_frame_size(row, Value(std::string("16384")), env));
  EXPECT_FALSE(validate_http2_frame_size(row, Value(std::string("16383")), env));
  EXPECT_FALSE(validate_http2_frame_size(row, Value(int64_t{16777216}), env));
}

}  // namespace
}  // namespace qilin::config
