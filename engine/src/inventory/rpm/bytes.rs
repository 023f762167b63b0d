//! Bounds-checked reads of fixed-size integers from untrusted bytes.

/// Byte order of a database's integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// `N` bytes at `offset`, or `None` when they are not all inside `data`.
pub fn array<const N: usize>(data: &[u8], offset: usize) -> Option<[u8; N]> {
    let end = offset.checked_add(N)?;
    data.get(offset..end)?.try_into().ok()
}

/// The `u16` at `offset`.
pub fn u16_at(data: &[u8], offset: usize, endian: Endian) -> Option<u16> {
    let b = array::<2>(data, offset)?;
    Some(match endian {
        Endian::Little => u16::from_le_bytes(b),
        Endian::Big => u16::from_be_bytes(b),
    })
}

/// The `u32` at `offset`.
pub fn u32_at(data: &[u8], offset: usize, endian: Endian) -> Option<u32> {
    let b = array::<4>(data, offset)?;
    Some(match endian {
        Endian::Little => u32::from_le_bytes(b),
        Endian::Big => u32::from_be_bytes(b),
    })
}

/// `len` bytes at `offset`, with both given as file-format integers.
pub fn slice(data: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    data.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let d = [1, 2, 3, 4, 5];
        assert_eq!(u32_at(&d, 1, Endian::Big), Some(0x0203_0405));
        assert_eq!(u32_at(&d, 1, Endian::Little), Some(0x0504_0302));
        assert_eq!(u32_at(&d, 2, Endian::Big), None);
        assert_eq!(u16_at(&d, usize::MAX, Endian::Big), None);
        assert_eq!(slice(&d, 4, 1), Some(&d[4..]));
        assert_eq!(slice(&d, 4, 2), None);
        assert_eq!(slice(&d, u64::MAX, u64::MAX), None);
    }
}
