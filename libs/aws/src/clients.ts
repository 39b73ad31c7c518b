import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";

export interface AwsConfig {
  region: string;
  /** Set for an emulator (moto, LocalStack); unset in production. */
  s3Endpoint?: string | undefined;
  sqsEndpoint?: string | undefined;
  /**
   * A client that only signs URLs for others to use. By default the SDK adds the CRC32 of an
   * empty body to a presigned PutObject or UploadPart URL (`x-amz-checksum-crc32=AAAAAA==`),
   * which S3 then holds against the real body and refuses; checksums only where required avoid it.
   */
  presign?: boolean;
}

/**
 * Clients from config. With an endpoint, S3 uses path-style addressing (emulators serve
 * one host) and checksums only where the API requires them (emulators may not verify
 * the SDK's default CRC32 trailers). Credentials come from the default provider chain
 * (env, IRSA web identity in Kubernetes): never from code.
 */
export function createS3(cfg: AwsConfig): S3Client {
  return new S3Client({
    region: cfg.region,
    ...(cfg.presign && { requestChecksumCalculation: "WHEN_REQUIRED" as const }),
    ...(cfg.s3Endpoint && {
      endpoint: cfg.s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }),
    maxAttempts: 3,
  });
}

export function createSqs(cfg: AwsConfig): SQSClient {
  return new SQSClient({
    region: cfg.region,
    ...(cfg.sqsEndpoint && { endpoint: cfg.sqsEndpoint }),
    maxAttempts: 3,
  });
}
