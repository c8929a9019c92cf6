use crate::{Element, Limits, XmlError, parse};

fn doc(s: &str) -> Result<Element, XmlError> {
    parse(s.as_bytes(), &Limits::default())
}

fn malformed(s: &str) -> bool {
    matches!(doc(s), Err(XmlError::Malformed(_)))
}

const SDK_BODY: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Request><MediaWorkflow>\
<Name>demo</Name><State></State><Topology><Nodes><Start><Type>Start</Type></Start></Nodes>\
</Topology></MediaWorkflow></Request>";

#[test]
fn parses_the_compact_body_the_python_sdk_sends() {
    let root = doc(SDK_BODY).unwrap();
    assert_eq!(root.name, "Request");
    let wf = root.get("MediaWorkflow").unwrap();
    assert_eq!(wf.text_of("Name"), Some("demo"));
    assert!(wf.get("State").is_some());
    assert_eq!(wf.text_of("State"), None, "empty means unset");
    let start = wf
        .get("Topology")
        .and_then(|t| t.get("Nodes"))
        .and_then(|n| n.get("Start"));
    assert_eq!(start.and_then(|s| s.text_of("Type")), Some("Start"));
}

#[test]
fn pretty_printed_and_compact_bodies_read_the_same() {
    let pretty = "<?xml version=\"1.0\"?>\r\n<Request>\n  <MediaWorkflow>\n    <Name>demo</Name>\n\
    \t<State/>\n    <Topology>\n      <Nodes>\n        <Start>\n          <Type>Start</Type>\n\
    </Start>\n      </Nodes>\n    </Topology>\n  </MediaWorkflow>\n</Request>\n";
    assert_eq!(doc(pretty).unwrap(), doc(SDK_BODY).unwrap());
}

#[test]
fn text_of_trims_and_treats_whitespace_as_unset() {
    let root = doc("<a><b>  x y \n</b><c>   </c><d/></a>").unwrap();
    assert_eq!(root.text_of("b"), Some("x y"));
    assert_eq!(root.get("b").unwrap().text, "  x y \n", "raw text is kept");
    assert_eq!(root.text_of("c"), None);
    assert_eq!(root.text_of("d"), None);
    assert_eq!(root.text_of("missing"), None);
}

#[test]
fn leaf_text_and_attributes_are_unescaped() {
    let root = doc(
        "<a k=\"&quot;1&quot; &amp; &#x41;\"><b>&lt;&gt;&amp;&apos;&quot;&#65;&#x4e2d;</b></a>",
    )
    .unwrap();
    assert_eq!(root.attr_value("k"), Some("\"1\" & A"));
    assert_eq!(root.text_of("b"), Some("<>&'\"A中"));
}

#[test]
fn get_all_returns_repeated_siblings_in_order() {
    let root = doc("<a><x>1</x><y/><x>2</x><x>3</x></a>").unwrap();
    let xs: Vec<&str> = root.get_all("x").map(|e| e.text.as_str()).collect();
    assert_eq!(xs, ["1", "2", "3"]);
    assert_eq!(root.get("x").unwrap().text, "1");
}

#[test]
fn namespace_prefixes_are_stripped_from_element_names() {
    let root = doc("<s:Request xmlns:s=\"urn:x\"><s:Name>n</s:Name><Plain/></s:Request>").unwrap();
    assert_eq!(root.name, "Request");
    assert_eq!(root.text_of("Name"), Some("n"));
    assert!(root.get("Plain").is_some());
    assert_eq!(root.attr_value("xmlns:s"), Some("urn:x"));
}

#[test]
fn cdata_is_taken_verbatim() {
    let root = doc("<a><b><![CDATA[<not> &amp; markup]]></b></a>").unwrap();
    assert_eq!(root.text_of("b"), Some("<not> &amp; markup"));
}

#[test]
fn mixed_content_keeps_text_and_children() {
    let root = doc("<a>hello <b>x</b>world<!-- note --></a>").unwrap();
    assert_eq!(root.text, "hello world");
    assert_eq!(root.children.len(), 1);
}

#[test]
fn whitespace_between_children_is_dropped() {
    let root = doc("<a>\n  <b>x</b>\n  <c> </c>\n</a>").unwrap();
    assert_eq!(root.text, "");
    assert_eq!(
        root.get("c").unwrap().text,
        " ",
        "a leaf keeps its whitespace"
    );
}

#[test]
fn comments_and_processing_instructions_are_ignored() {
    let root = doc("<!-- c --><?pi x?><a><!-- c --><b>1</b></a><!-- after -->\n").unwrap();
    assert_eq!(root.text_of("b"), Some("1"));
}

#[test]
fn empty_and_whitespace_bodies_are_their_own_error() {
    assert_eq!(doc(""), Err(XmlError::Empty));
    assert_eq!(doc(" \r\n\t "), Err(XmlError::Empty));
    assert_eq!(doc("\u{feff}"), Err(XmlError::Empty));
}

#[test]
fn a_declaration_alone_is_malformed() {
    assert!(malformed("<?xml version=\"1.0\"?>\n"));
    assert!(malformed("<!-- only a comment -->"));
}

#[test]
fn refuses_a_billion_laughs_attempt() {
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n\
    <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
    <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n]>\n\
    <lolz>&lol2;</lolz>";
    assert_eq!(doc(bomb), Err(XmlError::Doctype));
}

#[test]
fn refuses_external_entities_and_undeclared_entities() {
    let xxe = "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>";
    assert_eq!(doc(xxe), Err(XmlError::Doctype));
    assert!(matches!(doc("<a>&lol;</a>"), Err(XmlError::Entity(_))));
    assert!(matches!(doc("<a>&nbsp;</a>"), Err(XmlError::Entity(_))));
    assert!(matches!(doc("<a k=\"&x;\"/>"), Err(XmlError::Entity(_))));
    assert!(matches!(doc("<a>&#xZZ;</a>"), Err(XmlError::Entity(_))));
    assert!(matches!(doc("<a>&amp</a>"), Err(XmlError::Entity(_))));
}

#[test]
fn refuses_characters_xml_forbids() {
    assert!(matches!(doc("<a>&#0;</a>"), Err(XmlError::Entity(_))));
    assert!(malformed("<a>&#1;</a>"));
    assert!(malformed("<a>\u{1}</a>"));
    assert!(malformed("<a k=\"&#1;\"/>"));
}

#[test]
fn enforces_the_depth_limit() {
    let limits = Limits::default();
    let nested = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    assert!(parse(nested(32).as_bytes(), &limits).is_ok());
    assert_eq!(
        parse(nested(33).as_bytes(), &limits),
        Err(XmlError::TooDeep)
    );
    // Deep nesting far beyond the limit fails fast and never recurses.
    let deep = "<a>".repeat(200_000);
    let big = Limits {
        max_bytes: usize::MAX,
        ..limits
    };
    assert_eq!(parse(deep.as_bytes(), &big), Err(XmlError::TooDeep));
}

#[test]
fn enforces_the_element_count_limit() {
    let body = |n: usize| format!("<r>{}</r>", "<x/>".repeat(n));
    let limits = Limits::default();
    assert!(parse(body(9_999).as_bytes(), &limits).is_ok());
    assert_eq!(
        parse(body(10_000).as_bytes(), &limits),
        Err(XmlError::TooManyElements)
    );
    let small = Limits {
        max_elements: 3,
        ..limits
    };
    assert_eq!(
        parse(b"<r><x/><x/><x/></r>", &small),
        Err(XmlError::TooManyElements)
    );
}

#[test]
fn enforces_the_size_limit_before_parsing() {
    let limits = Limits {
        max_bytes: 17,
        ..Limits::default()
    };
    assert_eq!(
        parse(b"<a>0123456789a</a>", &limits),
        Err(XmlError::TooLarge)
    );
    assert!(parse(b"<a>0123456789</a>", &limits).is_ok());
    let huge = vec![b' '; Limits::default().max_bytes + 1];
    assert_eq!(parse(&huge, &Limits::default()), Err(XmlError::TooLarge));
}

#[test]
fn refuses_everything_but_utf8() {
    assert_eq!(doc_bytes(b"<a>\xff</a>"), Err(XmlError::NotUtf8));
    assert_eq!(
        doc("<?xml version=\"1.0\" encoding=\"GBK\"?><a/>"),
        Err(XmlError::NotUtf8)
    );
    assert_eq!(doc_bytes(b"\xff\xfe<\0a\0/\0>\0"), Err(XmlError::NotUtf8));
    assert!(doc("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>").is_ok());
    assert!(doc("\u{feff}<a/>").is_ok());
}

fn doc_bytes(b: &[u8]) -> Result<Element, XmlError> {
    parse(b, &Limits::default())
}

#[test]
fn exactly_one_root_and_no_trailing_garbage() {
    assert!(malformed("<a/><b/>"));
    assert!(malformed("<a></a>junk"));
    assert!(malformed("junk<a/>"));
    assert!(malformed("<a></a><"));
    assert!(doc("<a/>\n\n").is_ok());
}

#[test]
fn refuses_broken_structure() {
    for bad in [
        "<a>",
        "<a><b></a>",
        "<a></b>",
        "</a>",
        "<a",
        "<a b=c/>",
        "<a b=\"1\" b=\"2\"/>",
        "<a><![CDATA[x</a>",
        "<a><!-- x</a>",
        "<a/><?xml version=\"1.0\"?>",
        "<>",
        "plain text",
    ] {
        assert!(doc(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn never_panics_on_truncated_or_mangled_input() {
    let samples = [
        SDK_BODY,
        "<a k=\"v\"><b>&amp;&#x41;</b><![CDATA[x]]><!--c--><?p?></a>",
    ];
    for sample in samples {
        let bytes = sample.as_bytes();
        for cut in 0..bytes.len() {
            let _ = doc_bytes(&bytes[..cut]);
            let mut flipped = bytes.to_vec();
            flipped[cut] ^= 0x80;
            let _ = doc_bytes(&flipped);
            let mut swapped = bytes.to_vec();
            swapped[cut] = b'<';
            let _ = doc_bytes(&swapped);
        }
    }
}

#[test]
fn builds_and_writes_a_compact_document() {
    let answer = Element::new("Response")
        .child(Element::with_text("RequestId", "r-1"))
        .child(Element::new("MediaWorkflow").child(Element::with_text("Name", "a<b & \"c\"")))
        .child(Element::new("Empty"));
    assert_eq!(
        answer.to_document(),
        "<?xml version='1.0' encoding='utf-8' ?>\n<Response><RequestId>r-1</RequestId>\
         <MediaWorkflow><Name>a&lt;b &amp; \"c\"</Name></MediaWorkflow><Empty></Empty></Response>"
    );
}

#[test]
fn escapes_attribute_values() {
    let e = Element::new("a").attr("k", "\"x\" & 'y' <\n>");
    assert_eq!(
        e.to_compact(),
        "<a k=\"&quot;x&quot; &amp; &apos;y&apos; &lt;&#10;&gt;\"></a>"
    );
}

#[test]
fn written_documents_parse_back_to_the_same_tree() {
    let mut tree = Element::new("Request").attr("v", "1 & \"2\"\n\t3");
    tree.push(Element::with_text("Text", " spaced <&> 中文 \r\n'q' "));
    tree.push(Element::new("节点-1").child(Element::with_text("Type", "Start")));
    assert_eq!(doc(&tree.to_document()).unwrap(), tree);
}
