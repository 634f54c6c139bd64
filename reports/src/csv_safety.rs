//! CSV written for spreadsheets.

/// Cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV
/// injection guidance): `=`, `+`, `-`, `@`, tab and carriage return.
pub fn neutralise(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("alice"), "alice");
        assert_eq!(neutralise(""), "");
    }
}
