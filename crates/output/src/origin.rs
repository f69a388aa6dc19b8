//! The `Origin:` block ansible-core 2.19 prints before a failed task's result: the task's file
//! position, up to two lines before it, the line itself, and a caret under the column.

use oxible_yaml::Span;

/// Context lines shown before the task's line.
const CONTEXT_LINES: u32 = 2;
/// Widest annotated line before truncation with `...`.
const MAX_WIDTH: usize = 120;

/// `Origin: path:line:col`, a blank line, the annotated source, for `span`.
pub(crate) fn origin_block(span: &Span) -> Vec<String> {
    let path = std::path::absolute(span.path()).unwrap_or_else(|_| span.path().to_path_buf());
    let mut lines = vec![
        format!("Origin: {}:{}:{}", path.display(), span.line(), span.col()),
        String::new(),
    ];
    let label_width = span.line().to_string().len();
    let max_len = MAX_WIDTH - label_width - 1;
    let mut usable = max_len;
    for number in span.line().saturating_sub(CONTEXT_LINES).max(1)..=span.line() {
        let mut text: String = span.source().line_text(number).replace('\t', " ");
        if text.chars().count() > max_len {
            text = text.chars().take(max_len - 3).collect::<String>() + "...";
            usable = max_len - 3;
        }
        let gap = if text.is_empty() { "" } else { " " };
        lines.push(format!("{number:>label_width$}{gap}{text}"));
    }
    let col = span.col() as usize;
    if col >= 1 && col <= usable {
        let marker = format!("column {col}");
        let at = col - 1;
        let caret = if at + 2 + marker.len() > max_len {
            format!(
                "{}{marker} ^",
                " ".repeat(at.saturating_sub(marker.len() + 1))
            )
        } else {
            format!("{}^ {marker}", " ".repeat(at))
        };
        lines.push(format!("{} {caret}", " ".repeat(label_width)));
    }
    lines
}

/// `headline` followed by `origin`'s block when there is one: how errors and deprecation
/// warnings with a known position are laid out.
pub(crate) fn with_origin(headline: String, origin: Option<&Span>) -> Vec<String> {
    let mut lines = vec![headline];
    if let Some(span) = origin {
        lines.extend(origin_block(span));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_yaml::Source;

    #[test]
    fn annotates_like_ansible() {
        let text = "- hosts: x\n  tasks:\n      - debug: msg=a\n      - set_fact: y=2\n      - name: fails\n";
        let span = Span::new(Source::new("/p/site.yml", text), 5, 9);
        assert_eq!(
            origin_block(&span),
            vec![
                "Origin: /p/site.yml:5:9",
                "",
                "3       - debug: msg=a",
                "4       - set_fact: y=2",
                "5       - name: fails",
                "          ^ column 9",
            ]
        );
    }
}
