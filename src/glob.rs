//! Redis's glob matcher (`stringmatchlen`), used by KEYS, SCAN MATCH,
//! PSUBSCRIBE and friends.
//!
//! Results must equal Redis's for every pattern, including malformed ones,
//! so the pattern is first compiled by walking it exactly the way Redis's
//! matcher walks it (which decides how odd inputs like `[a-]`, an unclosed
//! `[` or a trailing `\` are read). Matching then uses the classic
//! single-backtrack-point algorithm, which is O(pattern * string) and needs
//! no recursion, instead of Redis's recursive search.

/// A compiled pattern; compile once when matching it against many strings.
#[derive(Clone, Debug)]
pub struct GlobPattern {
    tokens: Vec<Token>,
    nocase: bool,
}

#[derive(Clone, Debug)]
enum Token {
    /// One or more consecutive `*`.
    Star,
    /// `?`
    Any,
    /// A literal byte; already lowercased when matching without case.
    Byte(u8),
    /// A bracket class, evaluated for all 256 byte values up front.
    Set([u64; 4]),
}

/// The C locale's `tolower`, which is what Redis runs under: only ASCII
/// letters change, and bytes >= 0x80 (negative `char`s) stay as they are.
fn lower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// Redis compares bytes as C `char`, which is signed on the platforms it
/// targets; that matters for ranges such as `[a-\xff]`.
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

#[derive(Clone, Copy)]
enum ClassItem {
    /// `\x` inside brackets: compared case-sensitively even in nocase mode.
    Escaped(u8),
    Range(u8, u8),
    Literal(u8),
}

impl ClassItem {
    fn matches(self, c: u8, nocase: bool) -> bool {
        match self {
            ClassItem::Escaped(b) => b == c,
            ClassItem::Range(a, b) => {
                let (mut start, mut end, mut c) = (signed(a), signed(b), signed(c));
                if start > end {
                    std::mem::swap(&mut start, &mut end);
                }
                // Lowercasing after ordering the ends is Redis's order too:
                // with nocase, `[Z-a]` becomes the empty range z..a.
                if nocase {
                    start = lower(start);
                    end = lower(end);
                    c = lower(c);
                }
                start <= c && c <= end
            }
            ClassItem::Literal(b) => {
                if nocase {
                    lower(i32::from(b)) == lower(i32::from(c))
                } else {
                    b == c
                }
            }
        }
    }
}

impl GlobPattern {
    /// Compiles `pattern`. `nocase` makes ASCII letters match either case
    /// (except `\`-escaped letters inside brackets, as in Redis).
    pub fn new(pattern: &[u8], nocase: bool) -> GlobPattern {
        // Redis reads one byte past the end (the NUL terminator of its
        // strings) in a few places; `at` models that.
        let at = |i: usize| pattern.get(i).copied().unwrap_or(0);
        let len = pattern.len();
        let mut tokens = Vec::new();
        let mut p = 0;
        while p < len {
            let token = match pattern[p] {
                b'*' => {
                    while p + 1 < len && pattern[p + 1] == b'*' {
                        p += 1;
                    }
                    Token::Star
                }
                b'?' => Token::Any,
                b'[' => {
                    p += 1;
                    let negate = at(p) == b'^';
                    if negate {
                        p += 1;
                    }
                    let mut items = Vec::new();
                    loop {
                        let rem = len - p;
                        if at(p) == b'\\' && rem >= 2 {
                            items.push(ClassItem::Escaped(at(p + 1)));
                            p += 1;
                        } else if at(p) == b']' {
                            break;
                        } else if rem == 0 {
                            // Unclosed: the class ran to the end of the pattern.
                            p -= 1;
                            break;
                        } else if rem >= 3 && at(p + 1) == b'-' {
                            items.push(ClassItem::Range(at(p), at(p + 2)));
                            p += 2;
                        } else {
                            items.push(ClassItem::Literal(at(p)));
                        }
                        p += 1;
                    }
                    let mut set = [0u64; 4];
                    for c in 0..=255u8 {
                        let hit = items.iter().any(|item| item.matches(c, nocase));
                        if hit != negate {
                            set[usize::from(c >> 6)] |= 1 << (c & 63);
                        }
                    }
                    Token::Set(set)
                }
                b'\\' if len - p >= 2 => {
                    p += 1;
                    Token::Byte(literal(pattern[p], nocase))
                }
                b => Token::Byte(literal(b, nocase)),
            };
            if !(matches!(token, Token::Star) && matches!(tokens.last(), Some(Token::Star))) {
                tokens.push(token);
            }
            p += 1;
        }
        GlobPattern { tokens, nocase }
    }

    fn token_matches(&self, token: &Token, c: u8) -> bool {
        match token {
            Token::Star => true,
            Token::Any => true,
            Token::Byte(b) => *b == literal(c, self.nocase),
            Token::Set(set) => set[usize::from(c >> 6)] >> (c & 63) & 1 == 1,
        }
    }

    /// Whether `string` matches, exactly as Redis's `stringmatchlen` decides.
    ///
    /// Note that Redis's matcher never matches an empty string against a
    /// non-empty pattern, not even `*`; commands that treat a lone `*` as
    /// "everything" (KEYS, SCAN) special-case it before matching.
    pub fn matches(&self, string: &[u8]) -> bool {
        if string.is_empty() {
            return self.tokens.is_empty();
        }
        let tokens = &self.tokens;
        let (mut t, mut s) = (0usize, 0usize);
        // Where to resume after the most recent `*`: its token index and
        // the string position it is currently assumed to stretch to.
        let mut resume: Option<(usize, usize)> = None;
        while s < string.len() {
            match tokens.get(t) {
                Some(Token::Star) => {
                    if t + 1 == tokens.len() {
                        // A trailing star takes whatever is left.
                        return true;
                    }
                    resume = Some((t + 1, s));
                    t += 1;
                    continue;
                }
                Some(tok) if self.token_matches(tok, string[s]) => {
                    t += 1;
                    s += 1;
                    continue;
                }
                _ => {}
            }
            // Mismatch: let the last `*` swallow one more byte. Earlier
            // stars never need revisiting since tokens are single-byte.
            match resume {
                Some((rt, rs)) => {
                    resume = Some((rt, rs + 1));
                    t = rt;
                    s = rs + 1;
                }
                None => return false,
            }
        }
        tokens[t..].iter().all(|tok| matches!(tok, Token::Star))
    }
}

fn literal(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

/// Redis's `stringmatchlen(pattern, string, nocase)`. Compiles the pattern
/// on every call; use [`GlobPattern`] to match one pattern many times.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    GlobPattern::new(pattern, nocase).matches(string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched<'a>(pattern: &[u8], candidates: &[&'a [u8]], nocase: bool) -> Vec<&'a [u8]> {
        let compiled = GlobPattern::new(pattern, nocase);
        candidates
            .iter()
            .copied()
            .filter(|s| compiled.matches(s))
            .collect()
    }

    #[test]
    fn keys_patterns_match_redis() {
        for (pattern, want) in CASES {
            assert_eq!(
                matched(pattern, KEYS, false),
                want.to_vec(),
                "pattern {:?}",
                String::from_utf8_lossy(pattern)
            );
        }
    }

    #[test]
    fn nocase_patterns_match_redis() {
        for (pattern, want) in NOCASE_CASES {
            assert_eq!(
                matched(pattern, NAMES, true),
                want.to_vec(),
                "pattern {:?}",
                String::from_utf8_lossy(pattern)
            );
        }
    }

    #[test]
    fn star_does_not_match_the_empty_string() {
        // KEYS and SCAN special-case a lone "*"; PSUBSCRIBE * really does
        // miss messages published to the channel "".
        assert!(!glob_match(b"*", b"", false));
        assert!(!glob_match(b"**", b"", false));
        assert!(glob_match(b"", b"", false));
        assert!(glob_match(b"a*", b"a", false));
        assert!(glob_match(b"*", b"a", false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let text = vec![b'a'; 20_000];
        let mut pattern = b"a*".repeat(200);
        pattern.push(b'b');
        assert!(!glob_match(&pattern, &text, false));
        let mut ok = text.clone();
        ok.push(b'b');
        assert!(glob_match(&pattern, &ok, false));
        assert!(!glob_match(&b"*".repeat(100_000), b"", false));
        assert!(glob_match(&b"[".repeat(10_000), b"[", false));
    }

    /// Exhaustive backtracking over the compiled tokens: slow but obviously
    /// right, to check the single-backtrack-point search against.
    fn reference(tokens: &[Token], s: &[u8], p: &GlobPattern) -> bool {
        match tokens.split_first() {
            None => s.is_empty(),
            Some((Token::Star, rest)) => (0..=s.len()).any(|k| reference(rest, &s[k..], p)),
            Some((tok, rest)) => match s.split_first() {
                Some((&c, tail)) => p.token_matches(tok, c) && reference(rest, tail, p),
                None => false,
            },
        }
    }

    #[test]
    fn search_agrees_with_exhaustive_backtracking() {
        let pattern_bytes = b"ab*?[]^-\\A";
        let string_bytes = b"abAB[]-";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..30_000 {
            let plen = next(9);
            let pattern: Vec<u8> = (0..plen)
                .map(|_| pattern_bytes[next(pattern_bytes.len())])
                .collect();
            let slen = next(8);
            let string: Vec<u8> = (0..slen)
                .map(|_| string_bytes[next(string_bytes.len())])
                .collect();
            let nocase = next(2) == 1;
            let compiled = GlobPattern::new(&pattern, nocase);
            let want = if string.is_empty() {
                pattern.is_empty()
            } else {
                reference(&compiled.tokens, &string, &compiled)
            };
            assert_eq!(
                compiled.matches(&string),
                want,
                "{:?} vs {:?}",
                String::from_utf8_lossy(&pattern),
                String::from_utf8_lossy(&string)
            );
        }
    }

    /// Every string tried against each pattern in [`CASES`].
    #[rustfmt::skip]
    const KEYS: &[&[u8]] = &[
        b"", b"a", b"b", b"c", b"z", b"A", b"ab", b"abc",
        b"aXc", b"aaa", b"aab", b"ba", b"*", b"?", b"[", b"]",
        b"\\", b"a\\", b"-", b"^", b"_", b"`", b"[a]", b"a-z",
        b"a*", b"\x80", b"\xff", b"\x00", b"a\x00b", b"hello", b"hallo", b"hllo",
        b"heeello", b"foo:bar:baz", b"foo::",
    ];

    /// `(pattern, the KEYS it matched)` from `KEYS <pattern>` over [`KEYS`].
    #[rustfmt::skip]
    const CASES: &[(&[u8], &[&[u8]])] = &[
        (b"a", &[b"a"]),
        (b"?", &[b"a", b"b", b"c", b"z", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\x80", b"\xff", b"\x00"]),
        (b"??", &[b"ab", b"ba", b"a\\", b"a*"]),
        (b"???*", &[b"abc", b"aXc", b"aaa", b"aab", b"[a]", b"a-z", b"a\x00b", b"hello", b"hallo", b"hllo", b"heeello", b"foo:bar:baz", b"foo::"]),
        (b"*?*", &[b"a", b"b", b"c", b"z", b"A", b"ab", b"abc", b"aXc", b"aaa", b"aab", b"ba", b"*", b"?", b"[", b"]", b"\\", b"a\\", b"-", b"^", b"_", b"`", b"[a]", b"a-z", b"a*", b"\x80", b"\xff", b"\x00", b"a\x00b", b"hello", b"hallo", b"hllo", b"heeello", b"foo:bar:baz", b"foo::"]),
        (b"a*", &[b"a", b"ab", b"abc", b"aXc", b"aaa", b"aab", b"a\\", b"a-z", b"a*", b"a\x00b"]),
        (b"*a", &[b"a", b"aaa", b"ba"]),
        (b"a*b*", &[b"ab", b"abc", b"aab", b"a\x00b"]),
        (b"a**b", &[b"ab", b"aab", b"a\x00b"]),
        (b"*\\", &[b"\\", b"a\\"]),
        (b"a?c", &[b"abc", b"aXc"]),
        (b"h?llo", &[b"hello", b"hallo"]),
        (b"h*llo", &[b"hello", b"hallo", b"hllo", b"heeello"]),
        (b"h[ae]llo", &[b"hello", b"hallo"]),
        (b"h[^e]llo", &[b"hallo"]),
        (b"h[a-b]llo", &[b"hallo"]),
        (b"foo:*", &[b"foo:bar:baz", b"foo::"]),
        (b"*:*:*", &[b"foo:bar:baz", b"foo::"]),
        (b"[", &[]),
        (b"[^", &[b"a", b"b", b"c", b"z", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\x80", b"\xff", b"\x00"]),
        (b"[]", &[]),
        (b"[^]", &[b"a", b"b", b"c", b"z", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\x80", b"\xff", b"\x00"]),
        (b"[]]", &[]),
        (b"[]a]", &[]),
        (b"[a-]", &[b"a", b"]", b"^", b"_", b"`"]),
        (b"[a-]]", &[b"a", b"]", b"^", b"_", b"`"]),
        (b"[-a]", &[b"a", b"-"]),
        (b"[z-a]", &[b"a", b"b", b"c", b"z"]),
        (b"[a-c]", &[b"a", b"b", b"c"]),
        (b"[a-c]*", &[b"a", b"b", b"c", b"ab", b"abc", b"aXc", b"aaa", b"aab", b"ba", b"a\\", b"a-z", b"a*", b"a\x00b"]),
        (b"*[a-c]", &[b"a", b"b", b"c", b"ab", b"abc", b"aXc", b"aaa", b"aab", b"ba", b"a\x00b"]),
        (b"[A-a]", &[b"a", b"A", b"[", b"]", b"\\", b"^", b"_", b"`"]),
        (b"[a-A]", &[b"a", b"A", b"[", b"]", b"\\", b"^", b"_", b"`"]),
        (b"[a-\xff]", &[b"a", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\xff", b"\x00"]),
        (b"[\x80-a]", &[b"a", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\x80", b"\xff", b"\x00"]),
        (b"[\x80-\xff]", &[b"\x80", b"\xff"]),
        (b"[\\]", &[b"]"]),
        (b"[\\]]", &[b"]"]),
        (b"[\\\\]", &[b"\\"]),
        (b"[\\", &[b"\\"]),
        (b"[a\\", &[b"a", b"\\"]),
        (b"[a", &[b"a"]),
        (b"[^a", &[b"b", b"c", b"z", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\x80", b"\xff", b"\x00"]),
        (b"[^^]", &[b"a", b"b", b"c", b"z", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"_", b"`", b"\x80", b"\xff", b"\x00"]),
        (b"[]-a]", &[]),
        (b"[!a]", &[b"a"]),
        (b"[*]", &[b"*"]),
        (b"[?]", &[b"?"]),
        (b"[-]", &[b"-"]),
        (b"[--]", &[b"A", b"?", b"[", b"]", b"\\", b"-"]),
        (b"[---]", &[b"-"]),
        (b"[a-b-c]", &[b"a", b"b", b"c", b"-"]),
        (b"[\\a-z]", &[b"a", b"z", b"-"]),
        (b"[a\\-z]", &[b"a", b"z", b"-"]),
        (b"[^a-z]", &[b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\x80", b"\xff", b"\x00"]),
        (b"\\", &[b"\\"]),
        (b"a\\", &[b"a\\"]),
        (b"\\a", &[b"a"]),
        (b"\\*", &[b"*"]),
        (b"\\?", &[b"?"]),
        (b"\\[", &[b"["]),
        (b"\\[a]", &[b"[a]"]),
        (b"[[]", &[b"["]),
        (b"a[", &[]),
        (b"a[^", &[b"ab", b"a\\", b"a*"]),
        (b"*[", &[]),
        (b"[*", &[b"*"]),
        (b"\x00", &[b"\x00"]),
        (b"a\x00b", &[b"a\x00b"]),
        (b"a?b", &[b"aab", b"a\x00b"]),
        (b"a[\x00]b", &[b"a\x00b"]),
        (b"[\x00-a]", &[b"a", b"A", b"*", b"?", b"[", b"]", b"\\", b"-", b"^", b"_", b"`", b"\x00"]),
        (b"A", &[b"A"]),
        (b"[A]", &[b"A"]),
        (b"[a]", &[b"a"]),
        (b"**", &[b"a", b"b", b"c", b"z", b"A", b"ab", b"abc", b"aXc", b"aaa", b"aab", b"ba", b"*", b"?", b"[", b"]", b"\\", b"a\\", b"-", b"^", b"_", b"`", b"[a]", b"a-z", b"a*", b"\x80", b"\xff", b"\x00", b"a\x00b", b"hello", b"hallo", b"hllo", b"heeello", b"foo:bar:baz", b"foo::"]),
        (b"*\x00*", &[b"\x00", b"a\x00b"]),
        (b"", &[b""]),
        (b"[^]]", &[]),
        (b"[a-z]?", &[b"ab", b"ba", b"a\\", b"a*"]),
        (b"?[a-z]", &[b"ab", b"ba"]),
        (b"[[-]]", &[b"[", b"]", b"\\"]),
        (b"[]-]", &[]),
    ];

    /// Library names tried against each pattern in [`NOCASE_CASES`].
    #[rustfmt::skip]
    const NAMES: &[&[u8]] = &[
        b"a", b"A", b"ab", b"AB", b"aB", b"Ab", b"z", b"Z", b"_", b"a_b", b"Za", b"zA", b"x9", b"Hello", b"hELLO",
    ];

    /// `(pattern, names matched)` from `FUNCTION LIST LIBRARYNAME <pattern>`,
    /// which is Redis's case-insensitive use of the matcher.
    #[rustfmt::skip]
    const NOCASE_CASES: &[(&[u8], &[&[u8]])] = &[
        (b"*", &[b"a", b"A", b"ab", b"AB", b"aB", b"Ab", b"z", b"Z", b"_", b"a_b", b"Za", b"zA", b"x9", b"Hello", b"hELLO"]),
        (b"a", &[b"a", b"A"]),
        (b"A", &[b"a", b"A"]),
        (b"ab", &[b"ab", b"AB", b"aB", b"Ab"]),
        (b"AB", &[b"ab", b"AB", b"aB", b"Ab"]),
        (b"?", &[b"a", b"A", b"z", b"Z", b"_"]),
        (b"??", &[b"ab", b"AB", b"aB", b"Ab", b"Za", b"zA", b"x9"]),
        (b"[A-Z]", &[b"a", b"A", b"z", b"Z"]),
        (b"[a-z]", &[b"a", b"A", b"z", b"Z"]),
        (b"[Z-a]", &[]),
        (b"[z-A]", &[b"a", b"A", b"z", b"Z"]),
        (b"[A-z]", &[b"a", b"A", b"z", b"Z"]),
        (b"[a-Z]", &[]),
        (b"[\\A]", &[b"A"]),
        (b"[\\a]", &[b"a"]),
        (b"\\A", &[b"a", b"A"]),
        (b"\\a", &[b"a", b"A"]),
        (b"[^A]", &[b"z", b"Z", b"_"]),
        (b"[^a]", &[b"z", b"Z", b"_"]),
        (b"[_-a]", &[b"a", b"A", b"_"]),
        (b"[`-a]", &[b"a", b"A"]),
        (b"[Z-_]", &[]),
        (b"[Y-_]", &[]),
        (b"A*", &[b"a", b"A", b"ab", b"AB", b"aB", b"Ab", b"a_b"]),
        (b"*B", &[b"ab", b"AB", b"aB", b"Ab", b"a_b"]),
        (b"[ab]*", &[b"a", b"A", b"ab", b"AB", b"aB", b"Ab", b"a_b"]),
        (b"[AB]*", &[b"a", b"A", b"ab", b"AB", b"aB", b"Ab", b"a_b"]),
        (b"[^a-z]", &[b"_"]),
        (b"[9-0]*", &[]),
        (b"h*O", &[b"Hello", b"hELLO"]),
        (b"H[E]LLO", &[b"Hello", b"hELLO"]),
        (b"*_*", &[b"_", b"a_b"]),
        (b"[a-_]", &[b"a", b"A", b"_"]),
        (b"[a-_]*", &[b"a", b"A", b"ab", b"AB", b"aB", b"Ab", b"_", b"a_b"]),
        (b"Z[A]", &[b"Za", b"zA"]),
    ];
}
