//! CSV as RFC 4180 describes it (CRLF rows, cells quoted when they hold a comma, a quote
//! or a line break), and safe to open in a spreadsheet: a cell that starts like a formula
//! (`=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, so that a visitor who
//! typed `=HYPERLINK(…)` into a form field cannot run it on the marketer's machine (OWASP
//! "CSV injection").

/// Appends one row of cells, ending it with CRLF.
pub fn write_row<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, cell);
    }
    out.push_str("\r\n");
}

fn write_cell(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = cell.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut out = String::new();
        write_row(&mut out, cells.iter().copied());
        out
    }

    #[test]
    fn plain_cells_are_written_as_they_are() {
        assert_eq!(row(&["a", "b c", ""]), "a,b c,\r\n");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(
            row(&["a,b", "say \"hi\"", "two\nlines"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn cells_that_look_like_formulas_are_defused() {
        assert_eq!(
            row(&["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "a=b"]),
            "'=1+1,'+33 1,'-2,'@SUM(A1),'\tx,a=b\r\n"
        );
        assert_eq!(
            row(&["=HYPERLINK(\"http://x\",\"y\")"]),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"
        );
    }
}
