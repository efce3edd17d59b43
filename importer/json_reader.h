// A minimal JSON reader for the fixtures' meta.json files (tools/tf_fixtures): objects,
// arrays, strings (with \uXXXX escapes for the basic plane), numbers, true/false/null.
// Not a general-purpose library: enough to read what our own Python writes, with errors that
// say where the text stops making sense.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace p3d {

class JsonValue {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }

  // Typed access; each throws p3d::Error when the value has another kind.
  bool as_bool() const;
  double as_number() const;
  int64_t as_int() const;  // a Number that is an integer
  const std::string& as_string() const;
  const std::vector<JsonValue>& as_array() const;
  const std::map<std::string, JsonValue>& as_object() const;

  // Object member; throws when absent (or not an object).
  const JsonValue& at(const std::string& key) const;
  bool has(const std::string& key) const;

  static JsonValue parse(const std::string& text, const std::string& what);

 private:
  friend class JsonParser;
  void expect(Kind k, const char* name) const;
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

}  // namespace p3d
