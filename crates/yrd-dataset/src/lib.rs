#[cfg(test)]
mod t {
    use serde::Deserialize;
    use toml::Spanned;
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Z { key: Spanned<String>, #[serde(default)] members: Vec<Spanned<String>>, name: Spanned<T>, #[serde(default)] sub: Vec<Spanned<S>> }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct T { #[serde(default)] zh: String, #[serde(default)] en: String }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct S { a: Spanned<i64> }
    fn line(s: &str, off: usize) -> usize { s[..off].matches('\n').count() + 1 }
    #[test]
    fn spans() {
        let src = "# c\n\n[[zone]]\nkey = \"a\"\nname = { zh = \"x\" }\nmembers = [\"1\",\n \"2\"]\n\n[[zone.sub]]\na = 1\n\n[[zone]]\nkey = \"b\"\nnmae = 3\n\n[[zone]]\nkey = \"c\"\n\n[[zone]]\nkey = \"d\"\nname = { zh = \"x\", xx = 1 }\n[[zone]]\nkey = 5\nname = {zh=\"\"}\n[[zone]]\nkey = \"e\"\nname = {zh=\"\"}\n[[zone.sub]]\nb = 1\n";
        let doc = toml::de::DeTable::parse(src).unwrap();
        for (k, v) in doc.get_ref().iter() {
            println!("top {} {:?} line {}", k.get_ref(), v.span(), line(src, v.span().start));
            if let toml::de::DeValue::Array(arr) = v.get_ref() {
                for e in arr.iter() {
                    println!(" elem span {:?} line {} {:?}", e.span(), line(src, e.span().start), &src[e.span()]);
                    let r = Z::deserialize(toml::de::ValueDeserializer::from(e.clone()));
                    match r { Ok(z) => println!("  ok key line {} sub {:?}", line(src, z.key.span().start), z.sub.iter().map(|s| line(src, s.span().start)).collect::<Vec<_>>()), Err(er) => println!("  err {:?} {:?}", er.message(), er.span().map(|s| line(src, s.start))) }
                }
            }
        }
        for bad in ["[[zone]]\nkey = \"a\"\nkey = \"b\"\n", "[[zone]]\nkey = \"a\nx=1\n", "a = = 1\nb = 2\nc = [\n"] {
            let (_, errs) = toml::de::DeTable::parse_recoverable(bad);
            for e in errs { println!("syntax {:?} {:?} -> {}", e.message(), e.span(), e.span().map(|s| line(bad, s.start)).unwrap_or(0)); }
        }
        println!("{}", toml::Value::String("a\"b\nc\\ 中".into()));
        println!("{}", toml::Value::Float(0.1));
        println!("{}", toml::Value::Float(1e300));
        println!("{}", toml::Value::Float(-2.5e-8));
    }
}
