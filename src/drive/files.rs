//! File-name and file-type rules of Drive items (spec §6.3, §7.3, §8.1, §8.3, §9.1, §10.3).
//!
//! Pure functions only: the handlers decide when to call them. Drive implements these rules in
//! Python, so the names are split the way `os.path.splitext` splits them, and the MIME guesses
//! reproduce what Drive's container computes (libmagic on the first 2048 bytes, then Python's
//! `mimetypes`, which there also reads Apache's `mime.types` downloaded by the Dockerfile).

use unicode_normalization::UnicodeNormalization;

/// Python's `os.path.splitext` (POSIX): the extension starts at the last `.` of the last path
/// segment, unless that segment has only dots before it (`.bashrc`, `..txt` have none).
pub fn splitext(path: &str) -> (&str, &str) {
    let segment = path.rfind('/').map_or(0, |i| i + 1);
    match path.rfind('.') {
        Some(dot) if dot >= segment && path[segment..dot].bytes().any(|b| b != b'.') => {
            (&path[..dot], &path[dot..])
        }
        _ => (path, ""),
    }
}

/// Python's `str.strip()`: Unicode whitespace plus U+001C..U+001F, which Python counts as
/// whitespace and Rust's `trim` does not.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// §9.1.4, upstream `sanitize_filename`. `None` is upstream's "filename is empty once sanitized"
/// error. Only the part before the extension is cleaned; the extension is merely stripped.
pub fn sanitize_filename(name: &str) -> Option<String> {
    let (base, extension) = splitext(name);
    // Django's slugify trick: decompose, then drop what is not ASCII (accents, emoji, …).
    let ascii: String = base.nfkd().filter(char::is_ascii).collect();
    // Django's get_valid_filename; control characters cannot survive this filter either.
    let cleaned: String = py_strip(&ascii)
        .replace(' ', "_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    (!cleaned.is_empty()).then(|| cleaned + py_strip(extension))
}

/// `FILE_EXTENSIONS_ALLOWED` (§11.2), copied verbatim. Quirks kept on purpose: mixed-case
/// entries never match a lowercased extension, and `.7z.001` never matches a single extension.
const FILE_EXTENSIONS_ALLOWED: &str = "
.001 .002 .003 .3dm .3dmf .3g2 .3gp .7z .7z.001 .FCStd .LDR .N .SLDDRW .SLDPRT .STEP .aac .accdb .acidcsa
.acidppr .acidsca .acidssa .afr .ai .aif .alx .apafis .ape .apk .arc .asc .ase .asy .au .aux .avi .axx .bed
.bib .bin .bmp .bpm .bpmn .bz .bz2 .c .cdc .cdxml .cer .cif .clmc .clmx .cpg .crt .crypto .csr .csv .dat .dbf
.deb .dgn .direct .djvu .dna .doc .docm .docx .docxf .dot .dotm .dotx .drawio .drodm .dsf .dsn .dwg .dwt .dxf
.dxi .ecw .eda .edi .egg .emf .eml .ems .enlx .eot .epgz .epoc .eps .epub .err .excalidraw .ext1 .ext2 .ext3
.f0 .f3d .fas .fasta .fcstd .fic .fke .fodg .fodp .fods .fodt .freeplane .gan .gbk .gcode .geo .geojson .gif
.gml .gpkg .gpx .gradle .graffle .graphml .grist .gz .heic .ico .ics .id .ifc .igs .ind .indd .int .ipynb
.jif .jp2 .jpe .jpeg .jpg .json .kdbx .key .kml .kmz .layout .loc .log .lss .lst .m .m4a .m4b .m4p .m4r .m4v
.map .mbz .mcd .md .mdb .mkv .mm .mmap .moo .mov .mp3 .mp4 .mpd .mpeg .mpga .mph .mpp .mri .mrk .msg .mtgl
.mts .mtz .mvdx .naf .nist .nitrace .numbers .oaf .obj .odb .odc .odf .odg .odi .odm .odp .ods .odt .oform
.oft .one .opj .opju .osf .otc .otf .otg .oth .oti .oto .otp .ots .ott .p7s .pages .pbix .pdb .pdf .pdfxml
.pgw .ply .png .pot .potm .potx .pps .ppsm .ppsx .ppt .pptm .pptx .pr1 .pr2 .prism .prj .properties .proto
.prproj .psd .pub .puw .py .pyc .pzfx .qgr .qgs .qgz .qix .qmd .qml .qpj .qpt .r .rar .rdata .rds .rep .ris
.rmd .rtf .rvt .sb2 .sb3 .sbn .sbx .scwsp .sh .shp .shx .sig .skp .sldasm .slddrw .slk .sphd .sphx .sql .srt
.ssp .stc .std .stl .stp .stw .svg .swu .sxc .sxd .sxg .sxi .sxm .sxw .tab .tar .tex .text .textgrid .tfw
.tif .tiff .tsv .ttc .ttf .twbx .txt .vcf .vsd .vsdx .vtt .vuw .wa1 .wav .weba .webm .webp .wfl .woff .woff2
.wsp .xcf .xd .xhl .xls .xlsb .xlsm .xlsx .xlt .xltm .xltx .xmind .xml .xps .xsd .xz .yml .zed .zip
";

/// §9.1.1: the last extension (with its dot), lowercased, must be allow-listed. Names without an
/// extension (no dot, or only leading dots) are refused.
pub fn extension_allowed(filename: &str) -> bool {
    let extension = splitext(filename).1.to_lowercase();
    !extension.is_empty()
        && FILE_EXTENSIONS_ALLOWED
            .split_ascii_whitespace()
            .any(|e| e == extension)
}

/// The suffix of a sibling titled `<base>_<digits><ext>` (upstream regex `^base_\d+ext$`).
fn numbered_suffix<'a>(sibling: &'a str, base: &str, extension: &str) -> Option<&'a str> {
    let digits = sibling
        .strip_prefix(base)?
        .strip_prefix('_')?
        .strip_suffix(extension)?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// §6.3, upstream `manage_unique_title`. `sibling_titles` must already be restricted to the
/// non-deleted siblings. Numbers are compared and incremented as decimal strings, like
/// Python's unbounded ints, so a sibling named `a_99999999999999999999999` cannot overflow.
pub fn deduplicate_title(title: &str, sibling_titles: &[String]) -> String {
    if !sibling_titles.iter().any(|t| t == title) {
        return title.to_string();
    }
    let (base, extension) = splitext(title);
    let highest = sibling_titles
        .iter()
        .filter_map(|t| numbered_suffix(t, base, extension))
        .map(|digits| digits.trim_start_matches('0'))
        .max_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
        .unwrap_or("");
    // highest + 1 on the decimal string (Python ints do not overflow), then `zfill(2)`.
    let mut next = highest.as_bytes().to_vec();
    match next.iter().rposition(|&d| d != b'9') {
        Some(i) => {
            next[i] += 1;
            next[i + 1..].fill(b'0');
        }
        None => {
            next.fill(b'0');
            next.insert(0, b'1');
        }
    }
    let next = String::from_utf8(next).expect("ASCII digits");
    format!("{base}_{next:0>2}{extension}")
}

/// Text folded for accent- and case-insensitive matching (PostgreSQL's `unaccent` + `ILIKE`):
/// decomposed, combining marks dropped, lower-cased.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The values of the `category` filter (§8.1), in the spec's order.
pub const CATEGORIES: &[&str] = &[
    "doc",
    "powerpoint",
    "calc",
    "pdf",
    "image",
    "video",
    "audio",
    "archive",
    "other",
];

pub fn category_extensions(category: &str) -> &'static [&'static str] {
    match category {
        "doc" => &["doc", "docx", "odt", "txt", "rtf", "md", "pages"],
        "powerpoint" => &["ppt", "pptx", "odp", "key"],
        "calc" => &["xls", "xlsx", "ods", "csv", "tsv", "numbers"],
        "pdf" => &["pdf"],
        "image" => &[
            "png", "jpg", "jpeg", "svg", "gif", "tiff", "webp", "bmp", "heic", "ico",
        ],
        "video" => &["mp4", "mov", "avi", "mkv", "webm", "wmv"],
        "audio" => &["mp3", "wav", "ogg", "aac", "flac", "m4a"],
        "archive" => &["zip", "tar", "gz", "rar", "7z", "bz2"],
        _ => &[],
    }
}

/// §8.1 `category`: folders always pass; a file passes when its filename ends, ignoring case,
/// with `.<ext>` for one of the category's extensions; `other` takes the files no category
/// claims (a missing filename included, as Django's `exclude` keeps NULLs). An unknown category
/// (the caller validates first) lets no file through.
pub fn category_matches(category: &str, filename: Option<&str>, is_folder: bool) -> bool {
    if is_folder {
        return true;
    }
    let in_category = |cat: &str| {
        filename.is_some_and(|name| {
            let name = name.as_bytes();
            category_extensions(cat).iter().any(|ext| {
                name.len() > ext.len()
                    && name[name.len() - ext.len() - 1] == b'.'
                    && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
            })
        })
    };
    match category {
        "other" => !CATEGORIES.iter().any(|c| in_category(c)),
        _ => in_category(category),
    }
}

/// §7.3 `url_preview`: the default `ITEM_PREVIEWABLE_MIME_TYPES` (`image/`, `video/`, `audio/`
/// as prefixes, `application/pdf` exactly).
pub fn is_previewable(mimetype: Option<&str>) -> bool {
    mimetype.is_some_and(|m| {
        ["image/", "video/", "audio/"].iter().any(|p| m.starts_with(p)) || m == "application/pdf"
    })
}

/// What Python's `mimetypes` knows in Drive's image (`mime.types` format: a type, then its
/// extensions; `;` separates entries): Python 3.13's table overridden by Apache's `mime.types`,
/// restricted to the allow-listed extensions plus a few common web/media ones.
const EXTENSION_TYPES: &str = "
application/msword doc dot; application/vnd.ms-excel xls xlt; application/vnd.ms-powerpoint pot pps ppt
application/vnd.openxmlformats-officedocument.wordprocessingml.document docx
application/vnd.openxmlformats-officedocument.wordprocessingml.template dotx
application/vnd.openxmlformats-officedocument.spreadsheetml.sheet xlsx
application/vnd.openxmlformats-officedocument.spreadsheetml.template xltx
application/vnd.openxmlformats-officedocument.presentationml.presentation pptx
application/vnd.openxmlformats-officedocument.presentationml.slideshow ppsx
application/vnd.openxmlformats-officedocument.presentationml.template potx
application/vnd.ms-word.document.macroenabled.12 docm; application/vnd.ms-word.template.macroenabled.12 dotm
application/vnd.ms-excel.sheet.macroenabled.12 xlsm; application/vnd.ms-excel.template.macroenabled.12 xltm
application/vnd.ms-excel.sheet.binary.macroenabled.12 xlsb
application/vnd.ms-powerpoint.presentation.macroenabled.12 pptm
application/vnd.ms-powerpoint.slideshow.macroenabled.12 ppsm
application/vnd.ms-powerpoint.template.macroenabled.12 potm; application/vnd.ms-project mpp
application/vnd.ms-xpsdocument xps; application/vnd.visio vsd; application/x-msaccess mdb
application/x-mspublisher pub; application/vnd.ms-fontobject eot
application/vnd.oasis.opendocument.text odt; application/vnd.oasis.opendocument.text-template ott
application/vnd.oasis.opendocument.text-master odm; application/vnd.oasis.opendocument.text-web oth
application/vnd.oasis.opendocument.spreadsheet ods
application/vnd.oasis.opendocument.spreadsheet-template ots
application/vnd.oasis.opendocument.presentation odp
application/vnd.oasis.opendocument.presentation-template otp
application/vnd.oasis.opendocument.graphics odg; application/vnd.oasis.opendocument.graphics-template otg
application/vnd.oasis.opendocument.chart odc; application/vnd.oasis.opendocument.chart-template otc
application/vnd.oasis.opendocument.image odi; application/vnd.oasis.opendocument.image-template oti
application/vnd.oasis.opendocument.formula odf; application/vnd.oasis.opendocument.database odb
application/vnd.sun.xml.writer sxw; application/vnd.sun.xml.writer.template stw
application/vnd.sun.xml.writer.global sxg; application/vnd.sun.xml.calc sxc
application/vnd.sun.xml.calc.template stc; application/vnd.sun.xml.draw sxd
application/vnd.sun.xml.draw.template std; application/vnd.sun.xml.impress sxi
application/vnd.sun.xml.math sxm; application/pdf pdf; application/postscript ai eps; application/rtf rtf
application/epub+zip epub; application/json json; application/xml xml; application/xhtml+xml xhtml
application/octet-stream bin; application/gml+xml gml; application/gpx+xml gpx
application/vnd.google-earth.kml+xml kml; application/vnd.google-earth.kmz kmz
application/vnd.android.package-archive apk; application/pgp-signature asc sig
application/pkcs7-signature p7s; application/pkix-cert cer; application/x-x509-ca-cert crt
application/vnd.businessobjects rep; application/vnd.chemdraw+xml cdxml; application/vnd.dna dna
application/vnd.dynageo geo; application/vnd.koan skp; application/vnd.mcd mcd
application/vnd.ms-pki.stl stl; application/vnd.palm pdb; application/vnd.realvnc.bed bed
application/vnd.yamaha.openscoreformat osf; application/x-msmetafile emf; application/x-python-code pyc
application/x-research-info-systems ris; application/x-sh sh; application/x-sql sql
application/x-subrip srt; application/x-tex tex; application/x-tgif obj; application/x-debian-package deb
application/x-freearc arc; application/zip zip; application/x-tar tar; application/x-7z-compressed 7z
application/x-rar-compressed rar; application/x-bzip bz; application/x-bzip2 bz2; application/x-xz xz
chemical/x-cif cif; model/iges igs; message/rfc822 eml; text/calendar ics; text/x-vcard vcf
font/collection ttc; font/otf otf; font/ttf ttf; font/woff woff; font/woff2 woff2; text/plain txt text log
text/markdown md markdown; text/csv csv; text/tab-separated-values tsv; text/html html htm; text/css css
text/javascript js; text/vtt vtt; text/x-c c; text/x-python py; image/png png; image/jpeg jpg jpeg jpe
image/gif gif; image/bmp bmp; image/tiff tif tiff; image/webp webp; image/svg+xml svg; image/x-icon ico
image/heic heic; image/heif heif; image/avif avif; image/vnd.adobe.photoshop psd; image/vnd.djvu djvu
image/vnd.dwg dwg; image/vnd.dxf dxf; audio/mpeg mp3 mpga; audio/x-wav wav; audio/ogg ogg oga opus
audio/x-flac flac; audio/x-aac aac; audio/mp4 m4a; audio/webm weba; audio/x-aiff aif; audio/basic au
audio/midi mid midi; video/mp4 mp4; video/quicktime mov; video/webm webm; video/x-matroska mkv
video/x-msvideo avi; video/mpeg mpeg; video/x-m4v m4v; video/3gpp 3gp; video/3gpp2 3g2; video/ogg ogv
video/mp2t mts
";

/// Python's `mimetypes.guess_file_type(filename, strict=False)` over [`EXTENSION_TYPES`]. As in
/// Python, compression suffixes are encodings, not types: `a.tar.gz` is a tar, `a.gz` nothing.
fn guess_from_extension(filename: &str) -> Option<&'static str> {
    let (base, mut extension) = splitext(filename);
    // suffix_map (case-insensitive) then encodings_map (case-sensitive, hence `a.GZ` differs).
    match extension.to_lowercase().as_str() {
        ".svgz" => extension = ".svg",
        ".tgz" | ".taz" | ".tz" | ".tbz2" | ".txz" => extension = ".tar",
        _ if matches!(extension, ".gz" | ".Z" | ".bz2" | ".xz" | ".br") => extension = splitext(base).1,
        _ => {}
    }
    type_of_extension(&extension.strip_prefix('.')?.to_lowercase())
}

/// The [`EXTENSION_TYPES`] entry for a lowercase extension given without its dot.
fn type_of_extension(extension: &str) -> Option<&'static str> {
    EXTENSION_TYPES.split([';', '\n']).find_map(|entry| {
        let mut words = entry.split_ascii_whitespace();
        let mimetype = words.next()?;
        words.any(|e| e == extension).then_some(mimetype)
    })
}

/// Content results that upstream lets an extension guess override (§10.3).
const GENERIC_TYPES: &[&str] = &[
    "application/octet-stream",
    "application/x-ole-storage",
    "application/CDFV2",
    "application/zip",
    "text/plain",
];

/// §10.3, upstream `detect_mimetype`: libmagic's answer unless it is generic and the filename
/// gives a guess. (Upstream's two "use the extension" branches collapse into one here because
/// the content result is never missing.)
pub fn detect_mimetype(head: &[u8], filename: Option<&str>) -> String {
    let content = sniff(&head[..head.len().min(2048)]);
    match filename.and_then(guess_from_extension) {
        Some(guess) if GENERIC_TYPES.contains(&content) => guess.to_string(),
        _ => content.to_string(),
    }
}

/// Signatures that libmagic recognises from a fixed prefix alone.
const PREFIXES: &[(&[u8], &str)] = &[
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\0", "image/tiff"),
    (b"MM\0*", "image/tiff"),
    (b"II+\0", "image/tiff"),
    (b"MM\0+", "image/tiff"),
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b\x08", "application/gzip"),
    (b"Rar!\x1a\x07\0", "application/x-rar"),
    (b"Rar!\x1a\x07\x01\0", "application/x-rar"),
    (b"\xfd7zXZ\0", "application/x-xz"),
    // Word/Excel/PowerPoint 97: libmagic rarely reaches their directory within 2048 bytes.
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"fLaC", "audio/flac"),
    (b"MThd", "audio/midi"),
    (b"%!PS", "application/postscript"),
    (b"{\\rtf", "text/rtf"),
    (b"\xff\xfe", "text/plain"), // UTF-16 text
    (b"\xfe\xff", "text/plain"),
];

/// A small libmagic: the formats Drive users upload most, checked against `file` 5.44.
fn sniff(b: &[u8]) -> &str {
    let at = |offset: usize, sig: &[u8]| b.get(offset..offset + sig.len()) == Some(sig);
    let le32 = |o: usize| {
        b.get(o..o + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    match b {
        [] => return "application/x-empty",
        [_] => return "application/octet-stream", // libmagic: "very short file (no magic)"
        _ => {}
    }
    // `%PDF-` may follow up to 256 bytes of junk, as long as that junk holds no NUL.
    let pdf = b.windows(5).take(257).position(|w| w == b"%PDF-");
    if pdf.is_some_and(|i| !b[..i].contains(&0)) {
        return "application/pdf";
    }
    if let Some((_, mimetype)) = PREFIXES.iter().find(|(sig, _)| b.starts_with(sig)) {
        return mimetype;
    }
    // Programs: what an upload allow-list is there to stop.
    if at(0, b"\x7fELF") && b.len() >= 18 {
        let kind = if b[5] == 2 { [b[17], b[16]] } else { [b[16], b[17]] };
        return match u16::from_le_bytes(kind) {
            1 => "application/x-object",
            2 => "application/x-executable",
            3 => "application/x-sharedlib",
            4 => "application/x-coredump",
            _ => "application/octet-stream",
        };
    }
    if at(0, b"MZ") {
        let pe = le32(0x3c).is_some_and(|offset| at(offset as usize, b"PE\0\0"));
        return if pe {
            "application/vnd.microsoft.portable-executable"
        } else {
            "application/x-dosexec"
        };
    }
    if at(0, b"\x89PNG\r\n\x1a\n") && at(12, b"IHDR") {
        return "image/png";
    }
    if at(0, b"BM") && le32(14).is_some_and(|n| [12, 40, 52, 56, 64, 108, 124].contains(&n)) {
        return "image/bmp";
    }
    if at(0, b"\0\0\x01\0") && b.len() > 22 && b[4..6] != [0, 0] {
        return "image/vnd.microsoft.icon";
    }
    if at(0, b"7z\xbc\xaf\x27\x1c") && b.len() >= 8 {
        return "application/x-7z-compressed";
    }
    if at(0, b"BZh") && b.get(3).is_some_and(|d| (b'1'..=b'9').contains(d)) {
        return "application/x-bzip2";
    }
    if at(0, b"SQLite format 3\0") && b.get(16..18).is_some_and(|page_size| page_size != [0, 0]) {
        return "application/vnd.sqlite3";
    }
    if at(0, b"RIFF") {
        return match b.get(8..12) {
            Some(b"WEBP") => "image/webp",
            Some(b"WAVE") => "audio/x-wav",
            Some(b"AVI ") => "video/x-msvideo",
            _ => "application/octet-stream",
        };
    }
    if at(0, b"PK\x03\x04") {
        // ODF and EPUB store their type uncompressed as the first entry, named `mimetype`.
        let len = le32(18).unwrap_or(0) as usize;
        let declared = b.get(38..38 + len).and_then(|s| std::str::from_utf8(s).ok());
        match declared {
            Some(t) if at(30, b"mimetype") && t.starts_with("application/vnd.oasis.opendocument.") => {
                return t;
            }
            Some("application/epub+zip") if at(30, b"mimetype") => return "application/epub+zip",
            _ => {}
        }
        // OOXML: after a package part, libmagic names the first of the next three entries that
        // lies in word/, ppt/ or xl/.
        let package = [
            &b"[Content_Types].xml"[..],
            b"_rels/.rels",
            b"docProps",
            b"customXml",
        ];
        if package.iter().any(|name| at(30, name)) {
            for entry in (4..b.len()).filter(|&i| at(i, b"PK\x03\x04")).take(3) {
                for (dir, extension) in [(&b"word/"[..], "docx"), (b"ppt/", "pptx"), (b"xl/", "xlsx")] {
                    if at(entry + 30, dir) {
                        return type_of_extension(extension).unwrap_or("application/zip");
                    }
                }
            }
        }
        return "application/zip";
    }
    if at(0, b"ID3") && b.len() >= 10 {
        // Skip the ID3v2 tag (syncsafe size, optional footer): libmagic names what follows.
        let size = b[6..10].iter().fold(0, |n, &x| (n << 7) | usize::from(x & 0x7f));
        let start = 10 + size + if b[5] & 0x10 != 0 { 10 } else { 0 };
        return match b.get(start..).filter(|rest| rest.len() >= 2).map(sniff) {
            Some(t) if t.starts_with("audio/") => t,
            _ => "application/octet-stream",
        };
    }
    if let [0xff, b1, b2, ..] = *b {
        // MPEG audio frame, layer III or II (layer bits 00 are AAC, which libmagic names otherwise).
        let (version, layer, bitrate) = ((b1 >> 3) & 3, (b1 >> 1) & 3, b2 >> 4);
        if b1 & 0xe0 == 0xe0 && version != 1 && matches!(layer, 1 | 2) && (1..15).contains(&bitrate) {
            return "audio/mpeg";
        }
    }
    if at(0, b"OggS") {
        return if at(28, b"\x80theora") {
            "video/ogg"
        } else {
            "audio/ogg"
        };
    }
    if at(4, b"ftyp") {
        return match b.get(8..12).unwrap_or_default() {
            b"qt  " => "video/quicktime",
            b"M4A " => "audio/x-m4a",
            b"M4B " => "audio/mp4",
            b"M4V " => "video/x-m4v",
            [b'3', b'g', b'p', _] => "video/3gpp",
            [b'3', b'g', b'2', _] => "video/3gpp2",
            b"heic" | b"heix" => "image/heic",
            b"mif1" => "image/heif",
            b"avif" | b"avis" => "image/avif",
            b"isom" | b"iso2" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1" | b"dash" => {
                "video/mp4"
            }
            _ => "application/octet-stream",
        };
    }
    if at(0, b"\x1a\x45\xdf\xa3") {
        // EBML: the DocType element sits in the first few dozen bytes.
        let doc_type = |name: &[u8]| b.windows(name.len()).take(64).any(|w| w == name);
        return if doc_type(b"webm") {
            "video/webm"
        } else if doc_type(b"matroska") {
            "video/x-matroska"
        } else {
            "application/octet-stream"
        };
    }
    sniff_text(b)
}

/// libmagic's text branch: a buffer is text when it holds no byte outside its "text" table
/// (ASCII printables, BEL..CR, ESC, and any high byte: UTF-8, ISO-8859 or extended ASCII).
fn sniff_text(b: &[u8]) -> &'static str {
    if !b
        .iter()
        .all(|&c| matches!(c, 0x07..=0x0d | 0x1b | 0x20..=0x7e | 0x80..=0xff))
    {
        return "application/octet-stream";
    }
    // libmagic tries JSON before its magic patterns (it also tries CSV, not reproduced here:
    // a `.csv` name yields `text/csv` anyway).
    if matches!(
        serde_json::from_slice(b),
        Ok(serde_json::Value::Object(_) | serde_json::Value::Array(_))
    ) {
        return "application/json";
    }
    let t = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b).to_ascii_lowercase();
    let has = |needle: &[u8]| t.windows(needle.len()).any(|w| w == needle);
    if t.starts_with(b"<svg") || has(b"<!doctype svg") || (t.starts_with(b"<?xml") && has(b"<svg")) {
        return "image/svg+xml";
    }
    if t.starts_with(b"<?xml") {
        return "text/xml";
    }
    // sgml magic: any of these tags anywhere in the first 4096 bytes marks HTML.
    let html = t.iter().enumerate().filter(|(_, c)| **c == b'<').any(|(i, _)| {
        let rest = &t[i + 1..];
        rest.starts_with(b"!doctype html")
            || rest.starts_with(b"a href=")
            || ["head", "title", "html", "script", "style", "table"]
                .iter()
                .any(|tag| {
                    rest.starts_with(tag.as_bytes())
                        && rest
                            .get(tag.len())
                            .is_some_and(|c| *c == b'>' || c.is_ascii_whitespace())
                })
    });
    if html { "text/html" } else { "text/plain" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_filename_follows_the_spec_examples() {
        assert_eq!(
            sanitize_filename("><img src=x onerror=alert()>\n.txt").as_deref(),
            Some("img_srcx_onerroralert.txt")
        );
        assert_eq!(sanitize_filename("!@#$%^&*().txt"), None);
        assert_eq!(
            sanitize_filename("My Report (v2).pdf").as_deref(),
            Some("My_Report_v2.pdf")
        );
        assert_eq!(sanitize_filename("file.JPG").as_deref(), Some("file.JPG"));
        assert_eq!(
            sanitize_filename("Évaluation été.odt").as_deref(),
            Some("Evaluation_ete.odt")
        );
    }

    #[test]
    fn sanitize_filename_splits_like_python() {
        for (name, expected) in [
            ("README", Some("README")),
            (".bashrc", Some(".bashrc")),
            ("..txt", Some("..txt")),
            ("archive.tar.gz", Some("archive.tar.gz")),
            ("  spaced name .txt ", Some("spaced_name.txt")),
            ("\u{1c} python-space.md", Some("python-space.md")),
            ("dir.d/file", Some("dir.dfile")),
            ("😀.png", None),
            ("", None),
            ("ﬁle№1.txt", Some("fileNo1.txt")),
        ] {
            assert_eq!(sanitize_filename(name).as_deref(), expected, "{name:?}");
        }
    }

    #[test]
    fn extension_allowed_uses_the_last_lowercased_extension() {
        for (name, expected) in [
            ("notes.txt", true),
            ("scan.PDF", true),
            ("model.FCStd", true), // lowercase twin `.fcstd` exists
            ("part.STEP", false),  // mixed-case entry without twin
            ("scene.LDR", false),
            ("split.7z.001", true), // through `.001`, not `.7z.001`
            ("program.exe", false),
            ("README", false),
            (".txt", false),
            ("folder.txt/README", false),
        ] {
            assert_eq!(extension_allowed(name), expected, "{name:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn deduplicate_title_numbers_after_the_highest_sibling() {
        let huge = "n_99999999999999999999999999999999999999999";
        for (title, siblings, expected) in [
            ("my item", &["my item"][..], "my item_01"),
            ("file.txt", &["file.txt", "file_01.txt"], "file_02.txt"),
            ("child2", &["child1", "child2"], "child2_01"),
            ("a.txt", &["a.txt", "a_9.txt"], "a_10.txt"),
            ("free", &["other", "free_01"], "free"),
            ("a.txt", &["a.txt", "a_007.txt", "a_x.txt", "a_3.md", "b_9.txt"], "a_08.txt"),
            (".env", &[".env", ".env_4"], ".env_05"),
            ("n", &["n", huge], "n_100000000000000000000000000000000000000000"),
        ] {
            let siblings: Vec<String> = siblings.iter().map(|s| s.to_string()).collect();
            assert_eq!(deduplicate_title(title, &siblings), expected, "{title:?} {siblings:?}");
        }
    }

    #[test]
    fn category_matches_by_filename_suffix() {
        assert!(category_matches("pdf", None, true));
        assert!(category_matches("image", Some("x.txt"), true));
        assert!(category_matches("doc", Some("Report.DOCX"), false));
        assert!(category_matches("archive", Some("a.tar.gz"), false));
        assert!(!category_matches("pdf", Some("pdf"), false));
        assert!(!category_matches("pdf", Some("x.pdf.txt"), false));
        assert!(category_matches("other", Some("x.exe"), false));
        assert!(category_matches("other", Some("noextension"), false));
        assert!(!category_matches("other", Some("x.MP3"), false));
        assert!(category_matches("other", None, false));
        assert!(!category_matches("unknown", Some("x.pdf"), false));
        assert_eq!(CATEGORIES.len(), 9);
    }

    #[test]
    fn is_previewable_uses_the_default_settings() {
        for (mimetype, expected) in [
            (Some("image/png"), true),
            (Some("video/mp4"), true),
            (Some("audio/mpeg"), true),
            (Some("application/pdf"), true),
            (Some("application/pdf+x"), false),
            (Some("text/plain"), false),
            (None, false),
        ] {
            assert_eq!(is_previewable(mimetype), expected, "{mimetype:?}");
        }
    }

    #[test]
    fn guess_from_extension_mirrors_python_mimetypes() {
        for (name, expected) in [
            (
                "A.DOCX",
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ),
            ("notes.md", Some("text/markdown")),
            ("photo.jpg", Some("image/jpeg")),
            ("data.xml", Some("application/xml")),
            ("song.wav", Some("audio/x-wav")),
            ("a.tar.gz", Some("application/x-tar")),
            ("a.tgz", Some("application/x-tar")),
            ("drawing.svgz", Some("image/svg+xml")),
            ("a.gz", None),
            ("a.bz2", None),
            ("a.BZ2", Some("application/x-bzip2")),
            (".pdf", None),
            ("config.yml", None),
            ("noext", None),
        ] {
            assert_eq!(guess_from_extension(name), expected, "{name:?}");
        }
    }

    /// A stored zip entry (local file header and data), as the start of ODF/OOXML files.
    fn entry(name: &str, data: &str) -> Vec<u8> {
        let len = (data.len() as u32).to_le_bytes();
        let mut zip = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        zip.extend(len.iter().chain(&len).chain(&(name.len() as u32).to_le_bytes()));
        zip.extend(name.bytes().chain(data.bytes()));
        zip
    }

    #[test]
    fn detect_mimetype_combines_content_and_extension() {
        let docx = [
            entry("[Content_Types].xml", "<Types/>"),
            entry("_rels/.rels", "<Relationships/>"),
        ]
        .concat();
        let docx_full = [docx.clone(), entry("word/document.xml", "<w:document/>")].concat();
        let plain_zip = entry("notes.txt", "hello");
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        let mut sqlite = b"SQLite format 3\0\x10\0\x01\x01".to_vec();
        sqlite.resize(100, 0);
        let mut ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
        ole.resize(512, 0);
        let odt = entry("mimetype", "application/vnd.oasis.opendocument.text");
        let docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        for (head, name, expected) in [
            (&docx[..], Some("report.docx"), docx_type),
            (&docx[..], None, "application/zip"), // the word/ entry lies beyond the head
            (&docx_full[..], None, docx_type),
            (&docx_full[..], Some("misnamed.zip"), docx_type),
            (&plain_zip[..], Some("archive.zip"), "application/zip"),
            (&plain_zip[..], Some("book.epub"), "application/epub+zip"),
            (b"my prose", Some("my_file.txt"), "text/plain"),
            (b"my prose", Some("my_file.pdf"), "application/pdf"),
            (b"my prose", Some("my_file.yml"), "text/plain"),
            (b"", Some("empty.txt"), "application/x-empty"),
            (&png[..], Some("x.txt"), "image/png"),
            (&sqlite[..], Some("table.grist"), "application/vnd.sqlite3"),
            (&ole[..], Some("legacy.doc"), "application/msword"),
            (&ole[..], Some("legacy.xls"), "application/vnd.ms-excel"),
            (
                &odt[..],
                Some("template.bin"),
                "application/vnd.oasis.opendocument.text",
            ),
            (b"\x00\x01\x02\x03", Some("blob.bin"), "application/octet-stream"),
            (
                b"\x00\x01\x02\x03",
                Some("blob.odg"),
                "application/vnd.oasis.opendocument.graphics",
            ),
            (b"x", Some("x.csv"), "text/csv"),
            (b"x", None, "application/octet-stream"),
        ] {
            assert_eq!(detect_mimetype(head, name), expected, "{name:?}");
        }
    }

    #[test]
    fn sniff_names_windows_programs_by_their_pe_header() {
        let mut pe = b"MZ\x90\0".to_vec();
        pe.resize(0x80, 0);
        pe[0x3c] = 0x40;
        pe[0x40..0x44].copy_from_slice(b"PE\0\0");
        assert_eq!(sniff(&pe), "application/vnd.microsoft.portable-executable");
        assert!(!crate::drive::upload::mimetype_allowed(sniff(&pe)));
        assert!(!crate::drive::upload::mimetype_allowed("application/x-dosexec"));
    }

    #[test]
    fn sniff_recognises_common_formats() {
        for (head, expected) in [
            (&b"\xff\xd8\xff\xe0\0\x10JFIF"[..], "image/jpeg"),
            (b"GIF89a\x01\0\x01\0", "image/gif"),
            (b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", "image/bmp"),
            (b"BMW is a car brand\n", "text/plain"),
            (b"II*\0\x08\0\0\0", "image/tiff"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
            (b"RIFF\x24\0\0\0WAVEfmt ", "audio/x-wav"),
            (b"RIFF\x24\0\0\0AVI LIST", "video/x-msvideo"),
            (b"\n%PDF-1.7\n", "application/pdf"),
            (b"\x1f\x8b\x08\0\0\0\0\0", "application/gzip"),
            (b"7z\xbc\xaf\x27\x1c\0\x04", "application/x-7z-compressed"),
            (b"Rar!\x1a\x07\x01\0", "application/x-rar"),
            (b"BZh91AY", "application/x-bzip2"),
            (
                b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0",
                "application/x-executable",
            ),
            (
                b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0",
                "application/x-sharedlib",
            ),
            (
                b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0",
                "application/x-dosexec",
            ),
            (b"ID3\x04\0\0\0\0\0\x04\0\0\0\0\xff\xfb\x90\x64\0\0", "audio/mpeg"),
            (b"ID3\x04\0\0\0\0\0\x04\0\0\0\0fLaC\0\0\0\x22", "audio/flac"),
            (b"ID3\x03\0\0\0\0\x0a\0TIT2", "application/octet-stream"),
            (b"\xff\xfb\x90\x64\0\0\0\0", "audio/mpeg"),
            (
                b"OggS\0\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01vorbis",
                "audio/ogg",
            ),
            (b"\0\0\0\x18ftypisom\0\0\0\0isom", "video/mp4"),
            (b"\0\0\0\x14ftypqt  \0\0\0\0", "video/quicktime"),
            (b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\x82\x84webmB\x87", "video/webm"),
            (
                b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                "image/svg+xml",
            ),
            (b"<?xml version=\"1.0\"?><note/>", "text/xml"),
            (b"<!DOCTYPE html><p>hi</p>", "text/html"),
            (b"some text with <title>x</title>", "text/html"),
            (b"about the <body> tag", "text/plain"),
            (b"{\"a\": [1, 2]}", "application/json"),
            (b"\"just a string\"", "text/plain"),
            ("Évaluation été".as_bytes(), "text/plain"),
            (b"caf\xe9 latin-1", "text/plain"),
            (b"{\\rtf1 hello}", "text/rtf"),
            (b"abc\x02def", "application/octet-stream"),
        ] {
            assert_eq!(sniff(head), expected, "{:?}", String::from_utf8_lossy(head));
        }
        // Junk before `%PDF-` is tolerated up to 256 bytes; only the first 2048 bytes count.
        for (junk, expected) in [
            (256, "application/pdf"),
            (257, "text/plain"),
            (2100, "text/plain"),
        ] {
            let pdf = [vec![b' '; junk], b"%PDF-1.4".to_vec()].concat();
            assert_eq!(detect_mimetype(&pdf, None), expected, "{junk}");
        }
    }
}
