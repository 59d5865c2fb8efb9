//! The shell session a guide teaches: its ```sh blocks, in order, make one script that the
//! guides' test runs verbatim (```shell blocks are illustrations, never run). Std-only:
//! tests/docs.rs includes this file too.

// Each includer uses only some of these.
#![allow(dead_code)]

/// The bodies of the ```sh blocks of `markdown`, in order.
pub fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    assert!(current.is_none(), "a ```sh block is not closed");
    blocks
}

/// The files a script writes with `cat > NAME <<'EOF'` (a quoted delimiter: written
/// verbatim) up to `EOF`, as (NAME, contents).
pub fn verbatim_files(script: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut lines = script.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("cat > ")
            .and_then(|rest| rest.strip_suffix(" <<'EOF'"))
        else {
            continue;
        };
        let mut contents = String::new();
        for body in lines.by_ref().take_while(|l| *l != "EOF") {
            contents.push_str(body);
            contents.push('\n');
        }
        files.push((name.to_string(), contents));
    }
    files
}
