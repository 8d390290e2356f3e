#include "http/uri.h"

#include <gtest/gtest.h>

#include <string>

#include "core/ip_text.h"

namespace qilin::http {
namespace {

TEST(PercentDecode, LikeUnquoteToBytes) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"", ""},
      {"/plain", "/plain"},
      {"%41%42", "AB"},
      {"%2f%2F", "//"},
      {"%e4%bd%a0", "\xe4\xbd\xa0"},
      {"%00", std::string("\0", 1)},
      {"%", "%"},
      {"%4", "%4"},
      {"a%", "a%"},
      {"%zz", "%zz"},
      {"%%41", "%A"},
      {"%4g%41", "%4gA"},
      {"100%", "100%"},
      {"a+b", "a+b"},  // '+' is not a space in a path
      {"\xc3\xa0%20k", "\xc3\xa0 k"},
  };
  for (const Case& c : cases) EXPECT_EQ(percent_decode(c.in), c.out) << c.in;
}

struct SplitCase {
  std::string target, path, query, fragment;
};

// Expected values are Python's gunicorn.util.split_request_uri() on Debian's
// python3.11.
TEST(SplitRequestTarget, LikeGunicorn) {
  const SplitCase cases[] = {
      {"/", "/", "", ""},
      {"/a?b#c", "/a", "b", "c"},
      {"/a#b?c", "/a", "", "b?c"},
      {"//x/y?q", "//x/y", "q", ""},
      {"*", "*", "", ""},
      {"http://h/p?q#f", "/p", "q", "f"},
      {"https://[::1]:80/x", "/x", "", ""},
      {"example.com:443", "443", "", ""},  // urlsplit takes "example.com" for a scheme
      {"[::1]:443", "[::1]:443", "", ""},
      {"/%41", "/%41", "", ""},
      {"x://", "", "", ""},
      {"1http://x/", "1http://x/", "", ""},
      {"http:/x", "/x", "", ""},
      {"\x01http://x/p", "/p", "", ""},
      {"http://[v1.x]/p", "/p", "", ""},
      {"http://[fe80::1%25eth0]/p", "/p", "", ""},
      {"HTTP://h", "", "", ""},
      {"a+b-c.d://h/p", "/p", "", ""},
      {"http://h?q", "", "q", ""},
      {"http://h#f", "", "", "f"},
      {"/a?b?c", "/a", "b?c", ""},
      {"/a##b", "/a", "", "#b"},
      {"http://[::1]:/", "/", "", ""},
  };
  for (const SplitCase& c : cases) {
    TargetParts p;
    ASSERT_TRUE(split_request_target(c.target, c.target, &p)) << c.target;
    EXPECT_EQ(p.path, c.path) << c.target;
    EXPECT_EQ(p.query, c.query) << c.target;
    EXPECT_EQ(p.fragment, c.fragment) << c.target;
  }
}

TEST(SplitRequestTarget, RefusesWhatUrlsplitRefuses) {
  for (const char* t :
       {"http://]x/", "http://[x/", "http://[1.2.3.4]/", "http://u@[::1]x/", "http://[::1]:80@h/",
        "http://[::1]x/", "http://a[::1]/", "http://[vz.x]/", "http://[v1.]/", "http://[::1%]/",
        "http://[::1%a%b]/", "http://[:::1]/", "https://[1::2::3]/", "s://]ufd/:"}) {
    TargetParts p;
    EXPECT_FALSE(split_request_target(t, t, &p)) << t;
  }
}

TEST(SplitRequestTarget, TabCrLfAreDeletedFirst) {
  std::string raw = "/a\tb?c\rd#e\nf";
  ASSERT_TRUE(has_tab_cr_lf(raw));
  std::string cleaned = remove_tab_cr_lf(raw);
  EXPECT_EQ(cleaned, "/ab?cd#ef");
  TargetParts p;
  ASSERT_TRUE(split_request_target(raw, cleaned, &p));
  EXPECT_EQ(p.path, "/ab");
  EXPECT_EQ(p.query, "cd");
  EXPECT_EQ(p.fragment, "ef");
  EXPECT_FALSE(has_tab_cr_lf("/plain"));
  // The "//" rule looks at the raw target: "/\t/x" is not a "//" path, so
  // urlsplit sees the authority "x" once the tab is gone.
  raw = "/\t/x";
  cleaned = remove_tab_cr_lf(raw);
  ASSERT_TRUE(split_request_target(raw, cleaned, &p));
  EXPECT_EQ(p.path, "");
}

TEST(IpText, ParsesLikeInetPton) {
  uint8_t a[16];
  for (const char* ok : {"0.0.0.0", "1.2.3.4", "255.255.255.255", "10.0.0.1"}) {
    EXPECT_TRUE(parse_ipv4(ok, a)) << ok;
  }
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3",
                          "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.", ".1.2.3"}) {
    EXPECT_FALSE(parse_ipv4(bad, a)) << bad;
  }
  for (const char* ok : {"::", "::1", "1::", "2001:db8::1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
                         "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "FE80::abcd"}) {
    EXPECT_TRUE(parse_ipv6(ok, a)) << ok;
  }
  for (const char* bad :
       {"", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", ":1::2",
        "1:", "1:2:3:4:5:6:7:8::", "::1.2.3", "::g", "1:2:3:4:5:6:7:1.2.3.4", "::01.2.3.4"}) {
    EXPECT_FALSE(parse_ipv6(bad, a)) << bad;
  }
}

TEST(IpText, FormatsLikeInetNtop) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
      {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},
      {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
      {"::1.2.3.4", "::1.2.3.4"},
      {"ABCD::EF", "abcd::ef"},
  };
  for (const Case& c : cases) {
    uint8_t a[16];
    ASSERT_TRUE(parse_ipv6(c.in, a)) << c.in;
    EXPECT_EQ(format_ipv6(a), c.out) << c.in;
  }
  uint8_t v4[4] = {192, 168, 1, 10};
  EXPECT_EQ(format_ipv4(v4), "192.168.1.10");
}

}  // namespace
}  // namespace qilin::http
