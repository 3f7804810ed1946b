// A photo from the camera, shrunk on the phone before it waits in the queue: at most
// `maxPx` on its long side, as JPEG, so that a slow connection carries a few hundred
// kilobytes rather than a 12-megapixel original.
export async function shrink(file, maxPx) {
  const bitmap = await createImageBitmap(file, {imageOrientation: 'from-image'});
  const scale = Math.min(1, maxPx / Math.max(bitmap.width, bitmap.height));
  const width = Math.round(bitmap.width * scale), height = Math.round(bitmap.height * scale);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.82));
  // The preview is a data: URL: the Content Security Policy shows no blob: images.
  const thumb = document.createElement('canvas');
  const t = 96 / Math.max(width, height);
  thumb.width = Math.round(width * t);
  thumb.height = Math.round(height * t);
  thumb.getContext('2d').drawImage(canvas, 0, 0, thumb.width, thumb.height);
  return {blob, width, height, thumb: thumb.toDataURL('image/jpeg', 0.7)};
}
