import { jobView } from '../../common/tracking/job-view';
import { JobStatus } from '../../common/tracking/job-status';
import { Upload, UploadMode } from './upload.entity';

/** An upload as clients see it: the tracking fields, the upload's own, and what it did in words. */
export function uploadView(upload: Upload): Record<string, unknown> {
  const view = jobView('upload', upload);
  delete view.checkpointRow;
  return { ...view, sizeBytes: Number(upload.sizeBytes), written: writtenSummary(upload) };
}

/** Says what stayed in the dataset, so a cancelled or failed partial upload is not a guess. */
function writtenSummary(upload: Upload): string {
  const { inserted, updated, unchanged, processed } = upload.counts;
  const kept = `${inserted} inserted, ${updated} updated, ${unchanged} unchanged`;
  switch (upload.status) {
    case JobStatus.COMPLETED:
      return `${processed} rows read: ${kept}`;
    case JobStatus.CANCELLED:
    case JobStatus.FAILED:
      if (upload.mode === UploadMode.STRICT || processed === 0) {
        return 'nothing was written';
      }
      return `rows 1-${upload.checkpointRow} were written and kept (${kept}); the rest was not`;
    default:
      return upload.mode === UploadMode.STRICT
        ? 'nothing is written until every row has been validated'
        : `so far: ${kept}`;
  }
}
