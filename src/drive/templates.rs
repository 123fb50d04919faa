//! Empty OpenDocument files for `POST items/` with `extension` (spec §8.3 step 4): upstream
//! uploads a bundled empty document; the emulator writes the smallest valid one, a zip whose
//! entries are stored uncompressed (`mimetype` first, as ODF requires).

/// The MIME type and body of an empty document for `extension` (`odt`, `ods` or `odp`).
pub fn empty_document(extension: &str) -> Option<(&'static str, Vec<u8>)> {
    let (mimetype, body) = match extension {
        "odt" => (
            "application/vnd.oasis.opendocument.text",
            "<office:text><text:p/></office:text>",
        ),
        "ods" => (
            "application/vnd.oasis.opendocument.spreadsheet",
            "<office:spreadsheet><table:table table:name=\"Sheet1\"><table:table-row><table:table-cell/></table:table-row></table:table></office:spreadsheet>",
        ),
        "odp" => (
            "application/vnd.oasis.opendocument.presentation",
            "<office:presentation><draw:page draw:name=\"page1\"/></office:presentation>",
        ),
        _ => return None,
    };
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" \
         office:version=\"1.3\"><office:body>{body}</office:body></office:document-content>\n"
    );
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest \
         xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">\
         <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"{mimetype}\"/>\
         <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
         </manifest:manifest>\n"
    );
    let zip = stored_zip(&[
        ("mimetype", mimetype.as_bytes()),
        ("content.xml", content.as_bytes()),
        ("META-INF/manifest.xml", manifest.as_bytes()),
    ]);
    Some((mimetype, zip))
}

/// A zip archive of `entries`, stored without compression (method 0).
fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
        let (crc, size, name_len) = (
            crc32(data),
            u32::try_from(data.len()).unwrap_or(u32::MAX),
            u16::try_from(name.len()).unwrap_or(u16::MAX),
        );
        // Local file header: version 10, no flags, stored, no date.
        out.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        out.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for value in [crc, size, size] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0_u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Its central directory entry.
        central.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for value in [crc, size, size] {
            central.extend_from_slice(&value.to_le_bytes());
        }
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (central_offset, central_size) = (
        u32::try_from(out.len()).unwrap_or(u32::MAX),
        u32::try_from(central.len()).unwrap_or(u32::MAX),
    );
    let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0_u16.to_le_bytes());
    out
}

/// CRC-32 (IEEE), bit by bit: the documents are a few hundred bytes.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0_u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn documents_are_zips_whose_first_entry_names_the_type() {
        for (extension, kind) in [("odt", "text"), ("ods", "spreadsheet"), ("odp", "presentation")] {
            let (mimetype, body) = empty_document(extension).unwrap();
            assert_eq!(mimetype, format!("application/vnd.oasis.opendocument.{kind}"));
            assert_eq!(&body[..4], b"PK\x03\x04");
            assert_eq!(&body[30..38], b"mimetype");
            assert_eq!(&body[38..38 + mimetype.len()], mimetype.as_bytes());
            assert_eq!(
                super::super::files::detect_mimetype(&body, Some(&format!("x.{extension}"))),
                mimetype,
                "the sniffer agrees"
            );
        }
        assert!(empty_document("docx").is_none());
    }
}
