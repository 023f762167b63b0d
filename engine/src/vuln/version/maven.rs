//! Maven version ordering: a port of `org.apache.maven.artifact.versioning.ComparableVersion`
//! as shipped in maven-artifact 3.8.7 (the `mvn` of Debian 12).
//!
//! A version is split at `.`, at `-` and at every switch between digits and letters. Numbers
//! compare by value; qualifiers rank `alpha` (`a`) < `beta` (`b`) < `milestone` (`m`) < `rc`
//! (`cr`) < `snapshot` < release (`""`, `ga`, `final`, `release`) < `sp` < anything else (in
//! lexical order). A `-` or a digit/letter switch opens a sub-list, and trailing "null" items
//! (`0`, release qualifiers, empty lists) are dropped, so `1 = 1.0 = 1-0 = 1.ga` while
//! `1-1 > 1` and `1.1 > 1-1`. Letters are lower-cased; only ASCII digits are digits.

use std::cmp::Ordering;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The index of the release qualifier `""` in [`QUALIFIERS`], as Maven's comparable string.
const RELEASE_INDEX: &str = "5";
/// Deeper nesting than this is no real version, and would cost stack to compare.
const MAX_LISTS: usize = 256;

/// A parsed Maven version: the root list of `ComparableVersion`'s items.
#[derive(Debug, Clone)]
pub(super) struct MavenVersion {
    items: Vec<Item>,
}

/// One item: a number, a qualifier or a sub-list.
#[derive(Debug, Clone)]
enum Item {
    Number(Number),
    Qualifier(String),
    List(Vec<Item>),
}

/// A number as `IntItem`, `LongItem` or `BigIntegerItem`.
///
/// Maven orders the three classes before their values (an `IntItem` is less than any
/// `LongItem`), and picks the class by digit count after stripping leading zeros — except that
/// an all-zero run keeps its length, so `0000000000` is a `LongItem` zero. Keeping the class
/// reproduces that exactly.
#[derive(Debug, Clone)]
struct Number {
    class: u8,
    digits: String,
}

impl Number {
    fn new(digits: &str) -> Self {
        let stripped = match digits.trim_start_matches('0') {
            "" => digits,
            s => s,
        };
        let class = match stripped.len() {
            0..=9 => 0,
            10..=18 => 1,
            _ => 2,
        };
        Number {
            class,
            digits: stripped.to_string(),
        }
    }

    fn is_zero(&self) -> bool {
        self.digits.bytes().all(|b| b == b'0')
    }
}

impl MavenVersion {
    /// Parses a version like `ComparableVersion.parseVersion`; only absurd nesting fails.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let lower = text.to_lowercase();
        let mut tree = Tree::new();
        let mut is_digit = false;
        let mut start = 0;
        for (i, c) in lower.char_indices() {
            let run = lower.get(start..i).unwrap_or_default();
            match c {
                '.' | '-' => {
                    if run.is_empty() {
                        tree.add(Node::Number(Number::new("0")));
                    } else {
                        tree.add(item(is_digit, run));
                    }
                    start = i + 1;
                    if c == '-' {
                        tree.open();
                    }
                }
                _ if c.is_ascii_digit() => {
                    if !is_digit && i > start {
                        if !tree.current_is_empty() {
                            tree.open();
                        }
                        tree.add(Node::Qualifier(qualifier(run, true)));
                        start = i;
                        tree.open();
                    }
                    is_digit = true;
                }
                _ => {
                    if is_digit && i > start {
                        tree.add(item(true, run));
                        start = i;
                        tree.open();
                    }
                    is_digit = false;
                }
            }
            if tree.lists.len() > MAX_LISTS {
                return Err(format!("more than {MAX_LISTS} nested components"));
            }
        }
        let run = lower.get(start..).unwrap_or_default();
        if !run.is_empty() {
            // "1.0.0.X1 < 1.0.0-X2": a trailing qualifier after '.' goes in its own sub-list.
            if !is_digit && !tree.current_is_empty() {
                tree.open();
            }
            tree.add(item(is_digit, run));
        }
        Ok(MavenVersion {
            items: tree.finish(),
        })
    }
}

/// `parseItem`: a number for a digit run, a qualifier otherwise.
fn item(is_digit: bool, run: &str) -> Node {
    if is_digit {
        Node::Number(Number::new(run))
    } else {
        Node::Qualifier(qualifier(run, false))
    }
}

/// `StringItem`'s constructor: `a1`/`b1`/`m1` spell alpha/beta/milestone, and aliases apply.
fn qualifier(run: &str, followed_by_digit: bool) -> String {
    let run = match (followed_by_digit, run) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        _ => run,
    };
    match run {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    }
    .to_string()
}

/// `comparableQualifier`: known qualifiers by rank, unknown ones after them in lexical order.
fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

/// Java's `String.compareTo`: UTF-16 code unit order.
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The list structure while parsing: lists in creation order, each holding items or the index
/// of a sub-list. Maven keeps a pointer to the list being filled and a stack of all lists; an
/// arena gives the same shape without shared mutable references.
struct Tree {
    /// Never empty: the root list is created with the tree.
    lists: Vec<Vec<Node>>,
    current: usize,
}

enum Node {
    Number(Number),
    Qualifier(String),
    List(usize),
}

impl Tree {
    fn new() -> Self {
        Tree {
            lists: vec![Vec::new()],
            current: 0,
        }
    }

    fn add(&mut self, node: Node) {
        if let Some(list) = self.lists.get_mut(self.current) {
            list.push(node);
        }
    }

    fn current_is_empty(&self) -> bool {
        self.lists.get(self.current).is_none_or(Vec::is_empty)
    }

    /// Appends a new sub-list to the current list and makes it current.
    fn open(&mut self) {
        let id = self.lists.len();
        self.add(Node::List(id));
        self.lists.push(Vec::new());
        self.current = id;
    }

    /// Normalises every list, children first (Maven pops its stack), and builds the items.
    fn finish(mut self) -> Vec<Item> {
        for id in (0..self.lists.len()).rev() {
            let Some(mut list) = self.lists.get_mut(id).map(std::mem::take) else {
                continue;
            };
            // Drop trailing null items; a non-empty sub-list is stepped over, not a stop.
            let mut i = list.len();
            while i > 0 {
                i -= 1;
                let (null, is_list) = match list.get(i) {
                    Some(Node::Number(n)) => (n.is_zero(), false),
                    Some(Node::Qualifier(q)) => (q.is_empty(), false),
                    Some(Node::List(child)) => {
                        (self.lists.get(*child).is_none_or(Vec::is_empty), true)
                    }
                    None => break,
                };
                if null {
                    list.remove(i);
                } else if !is_list {
                    break;
                }
            }
            if let Some(slot) = self.lists.get_mut(id) {
                *slot = list;
            }
        }
        self.build(0)
    }

    fn build(&mut self, id: usize) -> Vec<Item> {
        let nodes = self
            .lists
            .get_mut(id)
            .map(std::mem::take)
            .unwrap_or_default();
        nodes
            .into_iter()
            .map(|node| match node {
                Node::Number(n) => Item::Number(n),
                Node::Qualifier(q) => Item::Qualifier(q),
                Node::List(child) => Item::List(self.build(child)),
            })
            .collect()
    }
}

impl Item {
    /// `compareTo(null)`: how the item compares with padding (a missing item).
    fn cmp_missing(&self) -> Ordering {
        match self {
            Item::Number(n) if n.is_zero() => Ordering::Equal,
            Item::Number(_) => Ordering::Greater,
            Item::Qualifier(q) => java_cmp(&comparable_qualifier(q), RELEASE_INDEX),
            // MNG-6964: every item of the list counts, not only the first.
            Item::List(items) => items
                .iter()
                .map(Item::cmp_missing)
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        }
    }

    /// `compareTo(item)`.
    fn cmp_item(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Number(a), Item::Number(b)) => a
                .class
                .cmp(&b.class)
                .then_with(|| super::cmp_decimal(&a.digits, &b.digits)),
            (Item::Number(_), _) => Ordering::Greater,
            (Item::Qualifier(_), Item::Number(_) | Item::List(_)) => Ordering::Less,
            (Item::Qualifier(a), Item::Qualifier(b)) => {
                java_cmp(&comparable_qualifier(a), &comparable_qualifier(b))
            }
            (Item::List(_), Item::Number(_)) => Ordering::Less,
            (Item::List(_), Item::Qualifier(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => cmp_lists(a, b),
        }
    }
}

/// Item by item, the shorter list padded with missing items.
fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let order = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => l.cmp_item(r),
            (Some(l), None) => l.cmp_missing(),
            (None, Some(r)) => r.cmp_missing().reverse(),
            (None, None) => Ordering::Equal,
        };
        if order.is_ne() {
            return order;
        }
    }
    Ordering::Equal
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        MavenVersion::parse(a)
            .unwrap()
            .cmp(&MavenVersion::parse(b).unwrap())
    }

    /// From Maven's `ComparableVersionTest`.
    #[test]
    fn orders_like_comparable_version() {
        let ladder = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
            "2",
            "2.0.1",
            "2.0.1-klm",
            "2.0.1-lmn",
            "2.0.1-xyz",
            "2.0.1-123",
            "2.0.2",
            "2.1-snapshot",
            "2.1",
            "10.0",
        ];
        for pair in ladder.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn null_items_are_padding() {
        for (a, b) in [
            ("1", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.ga"),
            ("1", "1-final"),
            ("1", "1RELEASE"),
            ("1", "1."),
            ("1", "1-"),
            ("1a", "1-a"),
            ("1a1", "1-alpha-1"),
            ("1cr", "1rc"),
            ("1m3", "1MILESTONE3"),
            ("1.1", "1.01"),
            ("1-1.foo-bar-1-baz-0.1", "1-1.foo-bar1baz-.1"),
        ] {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} = {b}");
        }
    }

    #[test]
    fn number_classes_order_before_values() {
        // MNG-6572: numbers of any size.
        assert_eq!(cmp("20190126.230843", "1234567890.12345"), Ordering::Less);
        assert_eq!(
            cmp(
                "123456789012345.1H.5-beta",
                "12345678901234567890.1H.5-beta"
            ),
            Ordering::Less
        );
        // Maven's own quirk: an all-zero run of ten digits is a LongItem zero.
        assert_eq!(cmp("0000000000.1", "5.1"), Ordering::Greater);
    }

    #[test]
    fn absurd_nesting_is_refused() {
        let deep = "1-".repeat(MAX_LISTS + 1);
        assert!(MavenVersion::parse(&deep).is_err());
        let fine = "1-".repeat(MAX_LISTS / 2);
        assert!(MavenVersion::parse(&fine).is_ok());
    }
}
