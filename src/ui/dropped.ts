/** The files a drop or a picker gives, each with its path relative to the folder it lands in. */
export interface Picked {
  file: File;
  relative: string;
  comment?: string | undefined;
}

export function fromInput(list: FileList | null): Picked[] {
  return [...(list ?? [])].map((file) => ({ file, relative: file.webkitRelativePath || file.name }));
}

/** A drop of files and folders: folders are walked (the File and Directory Entries API). */
export async function fromDrop(transfer: DataTransfer): Promise<Picked[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter((entry): entry is FileSystemEntry => !!entry);
  if (entries.length === 0) return fromInput(transfer.files);
  const out: Picked[] = [];
  for (const entry of entries) await walk(entry, '', out);
  return out;
}

async function walk(entry: FileSystemEntry, prefix: string, out: Picked[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, relative: `${prefix}${entry.name}` });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    // readEntries answers in batches (100 in Chromium) until an empty one.
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, `${prefix}${entry.name}/`, out);
  }
}
