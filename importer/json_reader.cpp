// Recursive-descent JSON parsing (see json_reader.h). Nesting is capped so a hostile file
// cannot overflow the stack.
#include "importer/json_reader.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "kernels/error.h"

namespace p3d {

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& what) : s_(text), what_(what) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the document");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void fail(const char* problem) const {
    P3D_THROW("json '", what_, "': ", problem, " at offset ", pos_);
  }

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  bool consume(const char* word) {
    const size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }

  JsonValue value(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    skip_space();
    if (pos_ >= s_.size()) fail("unexpected end of text");
    JsonValue v;
    const char c = s_[pos_];
    if (c == '{') {
      v.kind_ = JsonValue::Kind::Object;
      ++pos_;
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return v;
      }
      for (;;) {
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a member name");
        std::string key = string();
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':'");
        ++pos_;
        v.object_[key] = value(depth + 1);
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == '}') {
          ++pos_;
          return v;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind_ = JsonValue::Kind::Array;
      ++pos_;
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return v;
      }
      for (;;) {
        v.array_.push_back(value(depth + 1));
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ']') {
          ++pos_;
          return v;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind_ = JsonValue::Kind::String;
      v.string_ = string();
      return v;
    }
    if (consume("true")) {
      v.kind_ = JsonValue::Kind::Bool;
      v.bool_ = true;
      return v;
    }
    if (consume("false")) {
      v.kind_ = JsonValue::Kind::Bool;
      return v;
    }
    if (consume("null")) return v;
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      const char* begin = s_.c_str() + pos_;
      char* end = nullptr;
      v.kind_ = JsonValue::Kind::Number;
      v.number_ = std::strtod(begin, &end);
      if (end == begin) fail("malformed number");
      pos_ += static_cast<size_t>(end - begin);
      return v;
    }
    fail("unexpected character");
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      c = s_[pos_++];
      switch (c) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
          const unsigned code =
              static_cast<unsigned>(std::strtoul(s_.substr(pos_, 4).c_str(), nullptr, 16));
          pos_ += 4;
          // UTF-8 of a basic-plane code point (surrogate pairs are not needed here).
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xc0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
          }
          break;
        }
        default:
          out += c;  // \" \\ \/
      }
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;  // closing quote
    return out;
  }

  const std::string& s_;
  const std::string& what_;
  size_t pos_ = 0;
};

namespace {
const char* kind_name(JsonValue::Kind k) {
  switch (k) {
    case JsonValue::Kind::Null:
      return "null";
    case JsonValue::Kind::Bool:
      return "a bool";
    case JsonValue::Kind::Number:
      return "a number";
    case JsonValue::Kind::String:
      return "a string";
    case JsonValue::Kind::Array:
      return "an array";
    case JsonValue::Kind::Object:
      return "an object";
  }
  return "?";
}
}  // namespace

void JsonValue::expect(Kind k, const char* name) const {
  if (kind_ != k) P3D_THROW("json: expected ", name, ", found ", kind_name(kind_));
}

bool JsonValue::as_bool() const {
  expect(Kind::Bool, "a bool");
  return bool_;
}
double JsonValue::as_number() const {
  expect(Kind::Number, "a number");
  return number_;
}
int64_t JsonValue::as_int() const {
  const double d = as_number();
  if (d != std::floor(d) || std::fabs(d) > 9.0e15)
    P3D_THROW("json: expected an integer, found ", d);
  return static_cast<int64_t>(d);
}
const std::string& JsonValue::as_string() const {
  expect(Kind::String, "a string");
  return string_;
}
const std::vector<JsonValue>& JsonValue::as_array() const {
  expect(Kind::Array, "an array");
  return array_;
}
const std::map<std::string, JsonValue>& JsonValue::as_object() const {
  expect(Kind::Object, "an object");
  return object_;
}

const JsonValue& JsonValue::at(const std::string& key) const {
  const auto& o = as_object();
  auto it = o.find(key);
  if (it == o.end()) P3D_THROW("json: object has no member '", key, "'");
  return it->second;
}

bool JsonValue::has(const std::string& key) const {
  return kind_ == Kind::Object && object_.count(key) != 0;
}

JsonValue JsonValue::parse(const std::string& text, const std::string& what) {
  return JsonParser(text, what).document();
}

}  // namespace p3d
