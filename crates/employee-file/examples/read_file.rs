//! Reads one employee file with the default limits and says what came of it, for
//! measuring the reader alone (`/usr/bin/time -v`):
//! `cargo run --release -p employee-file --example read_file -- FILE [xlsx|ods|csv]`.

use employee_file::{Format, Limits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (path, format) = match args.as_slice() {
        [_, path] => (path, path.rsplit('.').next().unwrap_or("")),
        [_, path, format] => (path, format.as_str()),
        _ => return Err("usage: read_file FILE [xlsx|ods|csv]".into()),
    };
    let format = match format {
        "xlsx" => Format::Xlsx,
        "ods" => Format::Ods,
        _ => Format::Csv,
    };
    let bytes = std::fs::read(path)?;
    match employee_file::read(&bytes, format, None, &Limits::default()) {
        Ok(file) => println!(
            "read: {} rows, {} errors",
            file.rows.len(),
            file.errors.len()
        ),
        Err(e) => println!("refused: {e}"),
    }
    Ok(())
}
