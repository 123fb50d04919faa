//! Python's words for a malformed JSON body. Upstream's parser is DRF's `JSONParser`, which
//! calls Python 3.13's `json.load` and answers `JSON parse error - <str(exc)>`; serde's errors
//! say the same things differently and at other positions. This walks the text the way
//! CPython's `json` scanner does (`Modules/_json.c`, `json/decoder.py`) and gives the first
//! error it would raise: message, then `line L column C (char P)`, with P a 0-based character
//! offset and C 1-based.

/// The message of Python's `JSONDecodeError` (or DRF's strict-constant `ValueError`) for
/// `text`, or None when Python would accept it.
pub fn python_json_error(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let scanner = Scanner { s: &chars };
    let start = scanner.skip_ws(0);
    let end = match scanner.value(start) {
        Ok(end) => end,
        Err(Failure::StopIteration(at)) => return Some(located("Expecting value", &chars, at)),
        Err(Failure::Message(message, at)) => return Some(located(message, &chars, at)),
        Err(Failure::Constant(name)) => {
            return Some(format!(
                "Out of range float values are not JSON compliant: '{name}'"
            ));
        }
    };
    let end = scanner.skip_ws(end);
    (end != chars.len()).then(|| located("Extra data", &chars, end))
}

/// The message of a `UnicodeDecodeError` of the body (DRF decodes it as UTF-8 first).
pub fn python_utf8_error(raw: &[u8], error: &std::str::Utf8Error) -> String {
    let at = error.valid_up_to();
    let byte = raw[at];
    let reason = if (0x80..0xc2).contains(&byte) || byte > 0xf4 {
        "invalid start byte"
    } else {
        "invalid continuation byte"
    };
    format!("'utf-8' codec can't decode byte 0x{byte:02x} in position {at}: {reason}")
}

/// `msg: line L column C (char P)`, as `JSONDecodeError.__str__` writes it.
fn located(message: &str, chars: &[char], at: usize) -> String {
    let before = &chars[..at.min(chars.len())];
    let line = before.iter().filter(|c| **c == '\n').count() + 1;
    let column = match before.iter().rposition(|c| *c == '\n') {
        Some(newline) => at - newline,
        None => at + 1,
    };
    format!("{message}: line {line} column {column} (char {at})")
}

enum Failure {
    /// The scanner found no value here: `Expecting value` at this position.
    StopIteration(usize),
    Message(&'static str, usize),
    /// `NaN`, `Infinity` or `-Infinity`, which DRF's strict parser refuses.
    Constant(&'static str),
}

struct Scanner<'a> {
    s: &'a [char],
}

impl Scanner<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while matches!(self.at(i), Some(' ' | '\t' | '\n' | '\r')) {
            i += 1;
        }
        i
    }

    fn starts(&self, i: usize, word: &str) -> bool {
        word.chars().enumerate().all(|(k, c)| self.at(i + k) == Some(c))
    }

    /// One value at `i` (`scan_once`): the index after it.
    fn value(&self, i: usize) -> Result<usize, Failure> {
        match self.at(i) {
            None => Err(Failure::StopIteration(i)),
            Some('"') => self.string(i + 1),
            Some('{') => self.object(i + 1),
            Some('[') => self.array(i + 1),
            Some('n') if self.starts(i, "null") => Ok(i + 4),
            Some('t') if self.starts(i, "true") => Ok(i + 4),
            Some('f') if self.starts(i, "false") => Ok(i + 5),
            Some('N') if self.starts(i, "NaN") => Err(Failure::Constant("NaN")),
            Some('I') if self.starts(i, "Infinity") => Err(Failure::Constant("Infinity")),
            Some('-') if self.starts(i, "-Infinity") => Err(Failure::Constant("-Infinity")),
            Some(_) => self.number(i),
        }
    }

    /// `(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?` at `i`, or no value.
    fn number(&self, start: usize) -> Result<usize, Failure> {
        let digits = |mut i: usize| {
            let from = i;
            while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            (i, i > from)
        };
        let mut i = start;
        if self.at(i) == Some('-') {
            i += 1;
        }
        match self.at(i) {
            Some('0') => i += 1,
            Some('1'..='9') => i = digits(i).0,
            _ => return Err(Failure::StopIteration(start)),
        }
        if self.at(i) == Some('.') {
            let (after, some) = digits(i + 1);
            if some {
                i = after;
            }
        }
        if matches!(self.at(i), Some('e' | 'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            let (after, some) = digits(j);
            if some {
                i = after;
            }
        }
        Ok(i)
    }

    /// The rest of a string whose opening quote is at `i - 1` (strict: no control characters).
    fn string(&self, i: usize) -> Result<usize, Failure> {
        let begin = i - 1;
        let unterminated = Failure::Message("Unterminated string starting at", begin);
        let mut j = i;
        loop {
            match self.at(j) {
                None => return Err(unterminated),
                Some('"') => return Ok(j + 1),
                Some('\\') => match self.at(j + 1) {
                    None => return Err(unterminated),
                    Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => j += 2,
                    Some('u') => {
                        let hex = (j + 2..j + 6).all(|k| self.at(k).is_some_and(|c| c.is_ascii_hexdigit()));
                        if !hex {
                            return Err(Failure::Message("Invalid \\uXXXX escape", j + 1));
                        }
                        j += 6;
                    }
                    Some(_) => return Err(Failure::Message("Invalid \\escape", j)),
                },
                Some(c) if (c as u32) < 0x20 => {
                    return Err(Failure::Message("Invalid control character at", j));
                }
                Some(_) => j += 1,
            }
        }
    }

    /// The rest of an object whose `{` is at `i - 1`.
    fn object(&self, i: usize) -> Result<usize, Failure> {
        let mut i = self.skip_ws(i);
        if self.at(i) == Some('}') {
            return Ok(i + 1);
        }
        loop {
            if self.at(i) != Some('"') {
                return Err(Failure::Message(
                    "Expecting property name enclosed in double quotes",
                    i,
                ));
            }
            i = self.skip_ws(self.string(i + 1)?);
            if self.at(i) != Some(':') {
                return Err(Failure::Message("Expecting ':' delimiter", i));
            }
            i = self.skip_ws(i + 1);
            i = self.skip_ws(self.value(i)?);
            match self.at(i) {
                Some('}') => return Ok(i + 1),
                Some(',') => {}
                _ => return Err(Failure::Message("Expecting ',' delimiter", i)),
            }
            let comma = i;
            i = self.skip_ws(i + 1);
            if self.at(i) == Some('}') {
                return Err(Failure::Message(
                    "Illegal trailing comma before end of object",
                    comma,
                ));
            }
        }
    }

    /// The rest of an array whose `[` is at `i - 1`.
    fn array(&self, i: usize) -> Result<usize, Failure> {
        let mut i = self.skip_ws(i);
        if self.at(i) == Some(']') {
            return Ok(i + 1);
        }
        loop {
            i = self.skip_ws(self.value(i)?);
            match self.at(i) {
                Some(']') => return Ok(i + 1),
                Some(',') => {}
                _ => return Err(Failure::Message("Expecting ',' delimiter", i)),
            }
            let comma = i;
            i = self.skip_ws(i + 1);
            if self.at(i) == Some(']') {
                return Err(Failure::Message(
                    "Illegal trailing comma before end of array",
                    comma,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::python_json_error as error;

    // Expected texts are what CPython 3.13's `json.loads` raises for the same input.
    #[test]
    fn valid_documents_have_no_error() {
        for ok in [
            "{}",
            " {\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\\n\"]} \n",
            "[]",
            "0",
            "\"x\"",
        ] {
            assert_eq!(error(ok), None, "{ok}");
        }
    }

    #[test]
    fn truncated_documents() {
        assert_eq!(error("").unwrap(), "Expecting value: line 1 column 1 (char 0)");
        assert_eq!(
            error("{\"title\": ").unwrap(),
            "Expecting value: line 1 column 11 (char 10)"
        );
        assert_eq!(
            error("{\"a\": 1").unwrap(),
            "Expecting ',' delimiter: line 1 column 8 (char 7)"
        );
        assert_eq!(
            error("{").unwrap(),
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        );
        assert_eq!(error("[1,").unwrap(), "Expecting value: line 1 column 4 (char 3)");
        assert_eq!(
            error("{\"a\"").unwrap(),
            "Expecting ':' delimiter: line 1 column 5 (char 4)"
        );
    }

    #[test]
    fn trailing_data() {
        assert_eq!(error("{} {}").unwrap(), "Extra data: line 1 column 4 (char 3)");
        assert_eq!(error("01").unwrap(), "Extra data: line 1 column 2 (char 1)");
        assert_eq!(error("{}\n\nx").unwrap(), "Extra data: line 3 column 1 (char 4)");
    }

    #[test]
    fn bad_tokens() {
        // The example: a bad token at the 30th character.
        assert_eq!(
            error("{\"type\": \"file\", \"filename\": nope}").unwrap(),
            "Expecting value: line 1 column 30 (char 29)"
        );
        assert_eq!(
            error("{\"a\": tru}").unwrap(),
            "Expecting value: line 1 column 7 (char 6)"
        );
        assert_eq!(error("[-]").unwrap(), "Expecting value: line 1 column 2 (char 1)");
        assert_eq!(
            error("{\"a\":\n  'b'}").unwrap(),
            "Expecting value: line 2 column 3 (char 8)"
        );
        assert_eq!(
            error("[NaN]").unwrap(),
            "Out of range float values are not JSON compliant: 'NaN'"
        );
    }

    #[test]
    fn unquoted_keys_and_trailing_commas() {
        assert_eq!(
            error("{title: \"x\"}").unwrap(),
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        );
        assert_eq!(
            error("{\"a\": 1, b: 2}").unwrap(),
            "Expecting property name enclosed in double quotes: line 1 column 10 (char 9)"
        );
        assert_eq!(
            error("{\"a\": 1,}").unwrap(),
            "Illegal trailing comma before end of object: line 1 column 8 (char 7)"
        );
        assert_eq!(
            error("[1, 2 ,]").unwrap(),
            "Illegal trailing comma before end of array: line 1 column 7 (char 6)"
        );
    }

    #[test]
    fn unterminated_strings_and_bad_escapes() {
        assert_eq!(
            error("{\"title\": \"rapport").unwrap(),
            "Unterminated string starting at: line 1 column 11 (char 10)"
        );
        assert_eq!(
            error("{\"ti").unwrap(),
            "Unterminated string starting at: line 1 column 2 (char 1)"
        );
        // Offsets count characters, not bytes.
        assert_eq!(
            error("{\"été\": \"x").unwrap(),
            "Unterminated string starting at: line 1 column 9 (char 8)"
        );
        assert_eq!(
            error("[\"a\nb\"]").unwrap(),
            "Invalid control character at: line 1 column 4 (char 3)"
        );
        assert_eq!(
            error("[\"\\q\"]").unwrap(),
            "Invalid \\escape: line 1 column 3 (char 2)"
        );
    }

    #[test]
    fn undecodable_bytes_are_unicode_errors() {
        let raw = b"{\"a\": \"\xff\"}";
        let error = std::str::from_utf8(std::hint::black_box(raw)).unwrap_err();
        assert_eq!(
            super::python_utf8_error(raw, &error),
            "'utf-8' codec can't decode byte 0xff in position 7: invalid start byte"
        );
    }
}
