/**
 * The certificate library against what the real Key Vault produced: certificates, CSRs, a PFX and a PEM
 * secret recorded by the Azure SDK for JavaScript test suites against the live service (azure-sdk-assets,
 * MIT; see shared/spec/keyvault/recordings), and the CreateCertificate example of the 2025-07-01 spec.
 * The keys in them are public test data of those recordings.
 */

// prettier-ignore
const RECORDED = {
  "pem": {
    "request": {
      "key_props": {},
      "secret_props": {
        "contentType": "application/x-pem-file"
      },
      "x509_props": {
        "subject": "cn=MyCert",
        "sans": {}
      },
      "issuer": {
        "name": "Self"
      },
      "attributes": {}
    },
    "csr": "MIICoTCCAYkCAQAwETEPMA0GA1UEAxMGTXlDZXJ0MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAssL5ls3MuUaQP39nG5GdvBYrNcSwCjzURbh3fMQbldxkc/VwaJYsK9Smhphf//w0JlzQOH4Fyn+zxEwasgZkJKwSx5LX0mdAouNJi1Ho9YXhN0rHW6bDF2WjHRq8xQu2TDoceEIRHKadS1ewmg7uVqXs1P0HMIzCBYg2mPAWyudpBbwZmhqU9wDdJ4ZwFvDwnz3h3qQvLvnVasMVHkbe5nUtty0ovcFMdM4nhWtBclYST77hsDaTzf2o1VP5OmNC9fC0t64ivDyRJTnrqANJMz+rEiD2Fz4tQUfqlV3rn62WvfKdwBmbu2eq8ou1vK2osJTAaHzAeyhpLVXenggOPQIDAQABoEswSQYJKoZIhvcNAQkOMTwwOjAOBgNVHQ8BAf8EBAMCBaAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCMAkGA1UdEwQCMAAwDQYJKoZIhvcNAQELBQADggEBACClaJVSBIe49EvNQn1NCiLiY8/2vQ9RbHn6Q3qxl04xZNdL3vOlBjlZqtsc3VsVOpEN7HXX5TLg3zMARQ3vtaKdbO9cLgu161q6Qy/rG5++lLvMlBoGIcAa1LKm2M7VD+g7mrlJdR3Yy/01zvLEiKDIkUKDv/jPli2JIgM58CXld0Dvz2wCXLa2oVGjcj+c/R+Z9bs7cBGy9DLftTM8b5qRLoFt8YGa+evjb2FJWt3RlfPJc4o18L7UIFbGvXBhQmkkJL/+A89MrlygPna7TnYiS7Q0gSmVlJOmGrwVTbKzV8rmTV4WD7qbOXKs1VRYJZjDEXLj2cw9xNOooDZ72C0=",
    "cer": "MIIDKDCCAhCgAwIBAgIQc0otp4jQS36Mu9z/TKywbjANBgkqhkiG9w0BAQsFADARMQ8wDQYDVQQDEwZNeUNlcnQwHhcNMjYwNDA2MDMyNjAxWhcNMjcwNDA2MDMzNjAxWjARMQ8wDQYDVQQDEwZNeUNlcnQwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCywvmWzcy5RpA/f2cbkZ28Fis1xLAKPNRFuHd8xBuV3GRz9XBoliwr1KaGmF///DQmXNA4fgXKf7PETBqyBmQkrBLHktfSZ0Ci40mLUej1heE3SsdbpsMXZaMdGrzFC7ZMOhx4QhEcpp1LV7CaDu5WpezU/QcwjMIFiDaY8BbK52kFvBmaGpT3AN0nhnAW8PCfPeHepC8u+dVqwxUeRt7mdS23LSi9wUx0zieFa0FyVhJPvuGwNpPN/ajVU/k6Y0L18LS3riK8PJElOeuoA0kzP6sSIPYXPi1BR+qVXeufrZa98p3AGZu7Z6ryi7W8raiwlMBofMB7KGktVd6eCA49AgMBAAGjfDB6MA4GA1UdDwEB/wQEAwIFoDAJBgNVHRMEAjAAMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAfBgNVHSMEGDAWgBQpv+ue+xdOpHgE1u/vUajLuGgQcjAdBgNVHQ4EFgQUKb/rnvsXTqR4BNbv71Goy7hoEHIwDQYJKoZIhvcNAQELBQADggEBABd3PWnEpQrSPypODipX92j77cqWMk+tHHitDe8gtrHbIbs2nfxFTzC3CP9TZFAtaOc9dRruYFuMk1Kc6QH4d7aCNgIXvzOkNQn+dZ3zWs7vaGQPeX1W9lfX9ddaB80SU5bOHfRoU7QcACQKEltu9dITja2rvK8jNEngsTna/yeu1sAIGdJyDJNOUqst3qf0ajXRQqSV2QYSyroFreBMvQOoq+/QR4QIrQl2XggW/rvSlwN7XycCExTizOuDqm7B576WzCfPK56Nwy/morzGmdoA7X6ddPMt1WonJbdnRhrD3C4isfYCKj7sWSqZLeQFDyOjqRpgyoAJJ7Mh0xb6miM=",
    "x5t": "Jy1zmoAZb9BXdzkMoSp_KACcUW8",
    "attributes": {
      "nbf": 1775445961,
      "exp": 1806982561,
      "created": 1775446561
    },
    "policy": {
      "key_props": {
        "exportable": true,
        "kty": "RSA",
        "key_size": 2048,
        "reuse_key": false
      },
      "secret_props": {
        "contentType": "application/x-pem-file"
      },
      "x509_props": {
        "subject": "cn=MyCert",
        "sans": {},
        "ekus": [
          "1.3.6.1.5.5.7.3.1",
          "1.3.6.1.5.5.7.3.2"
        ],
        "key_usage": [
          "digitalSignature",
          "keyEncipherment"
        ],
        "validity_months": 12,
        "basic_constraints": {
          "ca": false
        }
      },
      "lifetime_actions": [
        {
          "trigger": {
            "lifetime_percentage": 80
          },
          "action": {
            "action_type": "AutoRenew"
          }
        }
      ],
      "issuer": {
        "name": "Self"
      }
    },
    "secret": {
      "value": "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCywvmWzcy5RpA/\nf2cbkZ28Fis1xLAKPNRFuHd8xBuV3GRz9XBoliwr1KaGmF///DQmXNA4fgXKf7PE\nTBqyBmQkrBLHktfSZ0Ci40mLUej1heE3SsdbpsMXZaMdGrzFC7ZMOhx4QhEcpp1L\nV7CaDu5WpezU/QcwjMIFiDaY8BbK52kFvBmaGpT3AN0nhnAW8PCfPeHepC8u+dVq\nwxUeRt7mdS23LSi9wUx0zieFa0FyVhJPvuGwNpPN/ajVU/k6Y0L18LS3riK8PJEl\nOeuoA0kzP6sSIPYXPi1BR+qVXeufrZa98p3AGZu7Z6ryi7W8raiwlMBofMB7KGkt\nVd6eCA49AgMBAAECggEBAJyVSQcdkdwgwS29rVVqwd4FFSht9z2gdtfzc0aoiPlG\nKf+g2CvkjyB9jriLNFwIUK3h0soJKY1tOswRVbjm/EVbLMAAEmhM5UNJEBynTQXz\nlYlXSTUw5+bQsoZF62A2mCJBLLryNAcCsvlSAHGR7pebk84lLW0LftBVtm1UsMJd\nZQ727ve0Wbb0+NKSRmvnKGFco9CxIX6LfF73wJ9YggxVy2ltsxcxODYVq4qnnt5t\nByyae2btOhHYzCCYuUx2mrvricWq7yim02fuHJJV/vCr0YcbCkGGeFu6fwvYnEHF\nOsp09vG0Fa+EmG0rQiSP1/ocMXRojbNpJo1n1iKStckCgYEA65hQhVdq1lKNSd/E\nCxKSWfzVaIn6wNiCl9tBeQDskAOZeiGypjQEmAyvBKiG6jvpYkOHzUaVffqyQlze\nlAtxAyVsspfbbej+IrcVA87kwu1ungK/PyKf2hAMuyHYNN6H6DUIQUtFbQRZXAGX\nlDTJTNtjvzIb42vAKNAhk1YMHscCgYEAwj6IkOLkLoG1jLM+0XGVaWwK7U53x0vt\nm8BYhatz+HnP0E5qn3wiZqeUkIB1vToiorcvAhGq/6g0DPZ/QEoWRsKQs4jE2gBI\n1umBButvqcjwdmyXREqRImemkyCvUfpR32BTlt9TPoe0PIHA++cVdHwimkR4Ydqx\nTDAnLSa2dtsCgYEAmygnt3lX4ihh5ooY2VX0zpDll0BvxPuSHiKG3wMNyNamCDoT\nJsRRVjXcOcwndjHYxR9GW5mlsF8fcPcqmwNh/TlzebbrC1qLrB85FtX18K5f0G5s\nt069SeaSC9gBROhdRz9N3XqOEXrwwthFlJSjEhvWeD+vADqhRf+0bQ0ZVFcCgYB6\nC0JRDk3iLps8OQ76F4yR/VFsQsYdUUaMerDj45LtBtQchHiXli4jI53DoQLZDuLe\nK4x8l09CbJOvpVzUrvgKI4s5UnCkrFMXvQTVrS2ultMHBTmRrew8mrVdccbWEhpI\n6EP84npyKl+DON9hJpMjai9vkB+3E+ob/ZFP3Cf+ywKBgDhY5sPAKtdcA4McnG3T\nhhLwwEGTnFc5h+lY0xuV9e4tSV5ia3r4DHJwKYj9+TXs4/MGLunQb3ajMNe0yh9U\nPto5lFzjTIDc9HNqlYr78K9OtJR+MYSyNKYxJR4RpTCSm0UL8WUIkf0BcxgsasiB\nPBvbUXE/zMg/pcV2EwTmMR03\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIDKDCCAhCgAwIBAgIQc0otp4jQS36Mu9z/TKywbjANBgkqhkiG9w0BAQsFADAR\nMQ8wDQYDVQQDEwZNeUNlcnQwHhcNMjYwNDA2MDMyNjAxWhcNMjcwNDA2MDMzNjAx\nWjARMQ8wDQYDVQQDEwZNeUNlcnQwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEK\nAoIBAQCywvmWzcy5RpA/f2cbkZ28Fis1xLAKPNRFuHd8xBuV3GRz9XBoliwr1KaG\nmF///DQmXNA4fgXKf7PETBqyBmQkrBLHktfSZ0Ci40mLUej1heE3SsdbpsMXZaMd\nGrzFC7ZMOhx4QhEcpp1LV7CaDu5WpezU/QcwjMIFiDaY8BbK52kFvBmaGpT3AN0n\nhnAW8PCfPeHepC8u+dVqwxUeRt7mdS23LSi9wUx0zieFa0FyVhJPvuGwNpPN/ajV\nU/k6Y0L18LS3riK8PJElOeuoA0kzP6sSIPYXPi1BR+qVXeufrZa98p3AGZu7Z6ry\ni7W8raiwlMBofMB7KGktVd6eCA49AgMBAAGjfDB6MA4GA1UdDwEB/wQEAwIFoDAJ\nBgNVHRMEAjAAMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAfBgNVHSME\nGDAWgBQpv+ue+xdOpHgE1u/vUajLuGgQcjAdBgNVHQ4EFgQUKb/rnvsXTqR4BNbv\n71Goy7hoEHIwDQYJKoZIhvcNAQELBQADggEBABd3PWnEpQrSPypODipX92j77cqW\nMk+tHHitDe8gtrHbIbs2nfxFTzC3CP9TZFAtaOc9dRruYFuMk1Kc6QH4d7aCNgIX\nvzOkNQn+dZ3zWs7vaGQPeX1W9lfX9ddaB80SU5bOHfRoU7QcACQKEltu9dITja2r\nvK8jNEngsTna/yeu1sAIGdJyDJNOUqst3qf0ajXRQqSV2QYSyroFreBMvQOoq+/Q\nR4QIrQl2XggW/rvSlwN7XycCExTizOuDqm7B576WzCfPK56Nwy/morzGmdoA7X6d\ndPMt1WonJbdnRhrD3C4isfYCKj7sWSqZLeQFDyOjqRpgyoAJJ7Mh0xb6miM=\n-----END CERTIFICATE-----\n",
      "contentType": "application/x-pem-file"
    }
  },
  "imported": {
    "pfx": "MIIKOAIBAzCCCfQGCSqGSIb3DQEHAaCCCeUEggnhMIIJ3TCCBhYGCSqGSIb3DQEHAaCCBgcEggYDMIIF/zCCBfsGCyqGSIb3DQEMCgECoIIE/jCCBPowHAYKKoZIhvcNAQwBAzAOBAgSfaVk0MzPggICB9AEggTYchpiIawrBqzZDw/0Lh75qweOZH7hx371+/bXsh9PLm+w3Vvn89q3B78DiJ+julHxhotpygl+PPBKVj5uN5msPp8dfyMVNOpV18+8z+LZWmtj6TcZ8rsmhOcs+DoLw7Wh/8rY1+C3jrhx/QzX8qvsJRQFYMNsS8eYN5ifk9upNRQRK3OBkkxNVYuGy5ETU+lh35eGK/qtOndhqdPRiGDtCUn5yMfiQkvjMdjn+GJn6EPZTagZI5bRVj9G1USwto/y9FBSLUkyku3TOdqJ5S9enK5Jz+Qnl5eB0PiZUZk4UrdqlSygeaJxGHHSUKffgQ9k6nsYG2PCFisJl+AKmuDRmcudmCT2KE9DUhVxrYMkGWYse/zvdmBztxNgD1/NWhw/G4z1EDQQ9LL4l0Rr9SvS4YNnClSr4Glu3MB1NN78PJUmKnKo8l0qrJ9mnucIzDD7pIW2KcmY02PjbIdMVE5YTQE/GNibUYHYvIE8xaU8+q7HaTv3EqAHXSOPxru+KGwhcx3PuoFNfRDsU5S+jZufPpyg2ffc9gBsHGyt+PfxG9wtTZKJuTb02EvsDwOcanu/Bv/tRRg4lPgdpN556zL91a+HJVyYSdHEByGlYuDFRb2KdZMbvYWmrKZ4mxrohE5p7a3Y96+IDO+CQMlr5zqZQK6McFKLDOS5RbvTFrbRQBiF9DvVAIuoZqeCEjyT/iFN/lCdEjokMgl03UBz91MGR3zkAsLUKhRaEuNU755jKf4SMdIJ7vrmrjgyJNA+tMty/n/+qu0S5U3FYQCCiwnsybZnUTMOJAJC25vC1o6Fczyw1osSm9VMhDqlJlzmonmJKNBHqtkDsxqn86Um1aDwv5Y+8WUO+62fqowfi9GLgYA+ggnyJGVu3rnwIP8jGTXZP7rO2vgZT8+CjaF0+JtvJHNRpE3xwwfcUhbrs7YWFXy0qqx34e6qYxiC0/ZYdDI0zT6HKokTXF0gQr1lnUHArkGQqYljiBLRi4hdsY58uXFdU9FlOWAXo2G55/PnRg6AN0qYMc2KumI5OmPOum8c9b3wlwANRFxnvbXGZ07FcEh1jtwFR9OMLoCVG7yiaEz6FyXEjYNS4bLoOKMBcYSSd+kic6u/FpvU9w45P9qZj5WoYiMeXk7YX0CoJPhD4C5I23j58zQZpZTcTc6WGynf59j9Kgxm4d3dgmouw40rv7bvQhcwtUwRWapiLPQmutGk9Rux23QdLJ6J2NrsANryp+imYbb3ON541oPdCkgrXXMBIHocitRwiaz6YoVdY6kCetnC91U1cuYFS+PRIuk7x+kKDMDqe/34h5IpBn9oYLKp4SRP5/1n2OJwy8spgHKNjdun2VZqb4rSKQaoGQumbSo+pxVdYUQhB3eG2/reqOVe37Mjvf0iuY4G4rDnQzoAeClj/FF8ZEymOp7Eb+qNAPkUMXi9PbN2CWfyX9ttMZ++5BDAQF9Zjt4YeSMxLJxFegsPTDhbtcQMyvBViwNV7rRSfgSkUQLfvocuWGvlO5Jax0IUNlria2wSMYHM4YQSiZA9/NvkDtZdsyn8n9gpNjAKBOgTDMyh4RFhSHuSXkJnEhKTgbVEM8gqHJlqHqtpP5Q9K2ba0m8RfRyp5zCc+6owsgjFWrDPHmCgivj4h8O9fGMgKP4bLTGB6TATBgkqhkiG9w0BCRUxBgQEAQAAADBXBgkqhkiG9w0BCRQxSh5IADEANQA0AGYAZAAxADYAMQAtAGMANQA2AGYALQA0AGMAZgAxAC0AOAA2AGEAYwAtAGYAMgBiADgAYQBkAGUAMQAwADkAOQAzMHkGCSsGAQQBgjcRATFsHmoATQBpAGMAcgBvAHMAbwBmAHQAIABFAG4AaABhAG4AYwBlAGQAIABSAFMAQQAgAGEAbgBkACAAQQBFAFMAIABDAHIAeQBwAHQAbwBnAHIAYQBwAGgAaQBjACAAUAByAG8AdgBpAGQAZQByMIIDvwYJKoZIhvcNAQcGoIIDsDCCA6wCAQAwggOlBgkqhkiG9w0BBwEwHAYKKoZIhvcNAQwBAzAOBAiClyZk2eWv1wICB9CAggN4PAcAIHHc8xnsOcglqxGmyN171Ouruq9BuMf0dDU+yZKWGMl27qXeO4eTMXoFrOXoUakkcHstq5fVOJfp5SsUbN5JRkoSIQqUFovsGI33Q4cbUiEsbZlomgzegx7C8TDfQBT9YWoE43Mr6yk7YHXZ1uQ1wmscxBQuHGC5bhI8snZcdWdZIGMqN4NU4CJQ9xHFeMC4UUxoAj/d8aF0PbjLL7JNQF+mH0Y9UMNvjiHBS5IDCzwdqIh9X+Vkpq5+5zBprLsVPgezcMKKQfTgcoyqK3TUXeezIK9zhzH/P72/4zVhx/hoRZsUMhT7XFAmvJp41UpBD/bLb3rasAi2GT1OnlTt5xo7IBFc5ITfvqHARzyeOs/bJGcX3gVmu0G4Ig3gm2crKDYLGGozWxIYJWc8pAW/XNkiYlNyK2E3GX6xnW/u6DiUW52x2OYnXbMqAyxY5hyW1YqaGQV+gp5aIWoJk9rY66iEtTVqATBA8pGkD/viKdOj7zhXp77DdTcDNGTQjT3X3+pduraBc0WhVBYJJtRYn3GFkeXr3UJQTqPZ+ZMeeVLm/UoYXQt7XA2aM7BusnrEcCSO4zfwtRm2osLlHkqMtryRdq4LRVxt2I3vbN0JufSkBD7CC1nql43XnnIZtS0HW7cBNVrCb01yGXJr25O97kkDyKyiOyUullz9xB8FP3QX+/T+4wHrzt6Q/Upq4sS7PEPxlS7ZUdrcMJzBsZR5ZmbRY3mFxXjtCPyYYJzpcvVgXDyguot4LKZsE1SLfwlst4X1JMsaDyK90c62E83lYZJXSXKooASn9a45XkvvE5lISExkthjOCUZmCmIa0XubiDrsPZ0avqm7dUNARG1nqYODB84eBIktkLSyxrBpyfVeMiqH6zuIXYnf0yK59u0F1E4JfrlB11WLbHYoCOEeC6LIP1X7vVrT2mTC1CDtZBiBkCqGXgy3Tj1Q3kPvayRSEuTHitn4HEXMU2Rv5Onxg3NB2NZrRt5TkpjkdQ+T4ZEx3p8q3fB3b1prPdEOn1joMDbkHA661DQfsZ5Uu2wjePWchNTFusNL2BKECRL89Jp7gal2lXeYWy0D3mTBH3cD5MWNuR6xA8T0EB3b66Wvl6clx+0S3huNcuW1St28ae2iCkmAkxUgb/R4hl7/axiklTiIJBDHWsR2ft4PXNarixAkNGsYMDswHzAHBgUrDgMCGgQUKfGVjCNrf53Vmx5Jb/cKFW2emoIEFCv3BwQ1EQdvTIOf65QZI8zvKAPSAgIH0A==",
    "sourceCer": "MIIDKDCCAhCgAwIBAgIQO9wbbKgkRe+hw7DMPPyYSzANBgkqhkiG9w0BAQsFADARMQ8wDQYDVQQDEwZNeUNlcnQwHhcNMjYwNDA2MDMyNDM3WhcNMjcwNDA2MDMzNDM3WjARMQ8wDQYDVQQDEwZNeUNlcnQwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDbzllX/o+pTfP+SU1TBhokRzLyKPYbzqrtr8O/GUjCY8eKnTgWett1l1vXfkZKv7kLnrZSVEgaz+IMMVq1iSJ1sg1jeGDRNUQWM7Nu2uvE+YPmYeFoFZjVw4gziTKY9CdgqtGY1aJ349qVE6qOI5bz/Ll1RuLLYVqkv6k+17STZYc/RNZOiFTxKocddr9PptJvMNi+hLmprrZmPMnF52QqCFGAqkRQRGCximSkPlmEoRzPdPA78nxnC2S/IzRgLTMia7GTvE1jH+NFXntasPUUaO6/QNZpH89kAjREkoxqoVthHN49joMG+YJ8rfL+u4f0CfPDhevnJyo7wdDG24q1AgMBAAGjfDB6MA4GA1UdDwEB/wQEAwIFoDAJBgNVHRMEAjAAMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAfBgNVHSMEGDAWgBQ4cc9sP6QKM3fVo2yYHlMUYgELMzAdBgNVHQ4EFgQUOHHPbD+kCjN31aNsmB5TFGIBCzMwDQYJKoZIhvcNAQELBQADggEBAFhkpMR10d5MuTYf3CMWOtbBYNQpJvw8OyrGSwKQDkJN/HBIK2PsZFxuqRHFsi/laHQqcOFeDSvT4s0Xco/XDP+JxtNy6hPWFA0luvAzg2Z94sKD49ePsQr+lMWBgAoGc8rgmDbsbrz3DH6o7b8Eq+y5YWQ3dQWyZ5YA/GN38SvMW9sf6WFwRoxf7KoODa3seeI2FQbB1reFmncBKWOQHKO9Hssc86Nc5vBTXSkdDLf+gjNAFthoe832Yy+87r0alEbJn1a3bFoen3Vpni5eVD0kSFNi/amW3QA2qASGb/0Z3Qe9X4mhZuOzaIn6j0gYdkUrcuZLNJeFQOgz54KEWhY=",
    "cer": "MIIDKDCCAhCgAwIBAgIQO9wbbKgkRe+hw7DMPPyYSzANBgkqhkiG9w0BAQsFADARMQ8wDQYDVQQDEwZNeUNlcnQwHhcNMjYwNDA2MDMyNDM3WhcNMjcwNDA2MDMzNDM3WjARMQ8wDQYDVQQDEwZNeUNlcnQwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDbzllX/o+pTfP+SU1TBhokRzLyKPYbzqrtr8O/GUjCY8eKnTgWett1l1vXfkZKv7kLnrZSVEgaz+IMMVq1iSJ1sg1jeGDRNUQWM7Nu2uvE+YPmYeFoFZjVw4gziTKY9CdgqtGY1aJ349qVE6qOI5bz/Ll1RuLLYVqkv6k+17STZYc/RNZOiFTxKocddr9PptJvMNi+hLmprrZmPMnF52QqCFGAqkRQRGCximSkPlmEoRzPdPA78nxnC2S/IzRgLTMia7GTvE1jH+NFXntasPUUaO6/QNZpH89kAjREkoxqoVthHN49joMG+YJ8rfL+u4f0CfPDhevnJyo7wdDG24q1AgMBAAGjfDB6MA4GA1UdDwEB/wQEAwIFoDAJBgNVHRMEAjAAMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAfBgNVHSMEGDAWgBQ4cc9sP6QKM3fVo2yYHlMUYgELMzAdBgNVHQ4EFgQUOHHPbD+kCjN31aNsmB5TFGIBCzMwDQYJKoZIhvcNAQELBQADggEBAFhkpMR10d5MuTYf3CMWOtbBYNQpJvw8OyrGSwKQDkJN/HBIK2PsZFxuqRHFsi/laHQqcOFeDSvT4s0Xco/XDP+JxtNy6hPWFA0luvAzg2Z94sKD49ePsQr+lMWBgAoGc8rgmDbsbrz3DH6o7b8Eq+y5YWQ3dQWyZ5YA/GN38SvMW9sf6WFwRoxf7KoODa3seeI2FQbB1reFmncBKWOQHKO9Hssc86Nc5vBTXSkdDLf+gjNAFthoe832Yy+87r0alEbJn1a3bFoen3Vpni5eVD0kSFNi/amW3QA2qASGb/0Z3Qe9X4mhZuOzaIn6j0gYdkUrcuZLNJeFQOgz54KEWhY=",
    "x5t": "8ae6Hmu7y-rXNkqGhjbxKy1RRfU",
    "attributes": {
      "nbf": 1775445877,
      "exp": 1806982477
    },
    "policy": {
      "key_props": {
        "exportable": true,
        "kty": "RSA",
        "key_size": 2048,
        "reuse_key": false
      },
      "secret_props": {
        "contentType": "application/x-pkcs12"
      },
      "x509_props": {
        "subject": "CN=MyCert",
        "ekus": [
          "1.3.6.1.5.5.7.3.1",
          "1.3.6.1.5.5.7.3.2"
        ],
        "key_usage": [
          "digitalSignature",
          "keyEncipherment"
        ],
        "validity_months": 12,
        "basic_constraints": {
          "ca": false
        }
      },
      "lifetime_actions": [
        {
          "trigger": {
            "lifetime_percentage": 80
          },
          "action": {
            "action_type": "EmailContacts"
          }
        }
      ],
      "issuer": {
        "name": "Unknown"
      }
    }
  },
  "sans": {
    "request": {
      "key_props": {},
      "secret_props": {},
      "x509_props": {
        "subject": "cn=MyCert",
        "sans": {
          "uris": [
            "https://contoso.com/cert"
          ],
          "ipAddresses": [
            "10.0.0.1",
            "2001:db8::1"
          ]
        }
      },
      "issuer": {
        "name": "Self"
      },
      "attributes": {}
    },
    "csr": "MIIC4DCCAcgCAQAwETEPMA0GA1UEAxMGTXlDZXJ0MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvHM74JF0S+ePT+6jzrn7ThngTMHPzWnYtW1LlkA3/OJNLwYK2uXXpnCj04vXoNCueL5lpva9EN7CKXtMHYGQmL6Z3EUx4GYpf+cFk6E43C+eAF6GXseGOidlSG29/iGJxC3YBYNmXKQaJk2klW1xkEgXK5ChBSKRSZmPG3Ofhwgw82ykH1Yo1UyoXJ6Z0+4BF1Bn5wA8MACPQ6zDgpHUzNb61pNiWRvH/mvG+SSbSYB43njsb691a1QFcgLNz8yQ1t3ZzdRYrvDxogSNG41u+WHQE7x47KUzGx7gz47hllQI0p7E+f6Aggtjimx6KlRykBZb8K8Q8eFDD4lzHTwoVQIDAQABoIGJMIGGBgkqhkiG9w0BCQ4xeTB3MA4GA1UdDwEB/wQEAwIFoDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwOwYDVR0RBDQwMoYYaHR0cHM6Ly9jb250b3NvLmNvbS9jZXJ0hwQKAAABhxAgAQ24AAAAAAAAAAAAAAABMAkGA1UdEwQCMAAwDQYJKoZIhvcNAQELBQADggEBAExxCKlDxBmYzTKz99bDFNMDgorMaCYEqIbw5c/h6vxKPw1AWaEypi0QXDok0ToS3z2Yc62bKlZDnHJ16o9e3nHwzJK4KZ0jzJ5ATFKUbygfKeQR/0fDfPDHWRCe3CSu0cZxTPLS5TWogWKEyClCPVaZWGmMkusWfKf5aVlvS0dELm9XQTAWeNvj4sXaD2eXdHaNWKDrSIQAQq8q5DuHttIPPFZ4iFErUg1OoA/G2wtzbFDPlB2IbZbZ9zjb6u/3yxQ3uo50YBPn4/LpT3D5cWx+Zq1S+hnkfwX6gpAecI4qhFJ35LYFak4zRgfStzAoSUPbVbGjDRerrU1K5ELuRsk=",
    "cer": "MIIDZzCCAk+gAwIBAgIQcRgtPv8SRbSo6guFk2wh6TANBgkqhkiG9w0BAQsFADARMQ8wDQYDVQQDEwZNeUNlcnQwHhcNMjYwNTIxMjIzNDQyWhcNMjcwNTIxMjI0NDQyWjARMQ8wDQYDVQQDEwZNeUNlcnQwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQC8czvgkXRL549P7qPOuftOGeBMwc/Nadi1bUuWQDf84k0vBgra5demcKPTi9eg0K54vmWm9r0Q3sIpe0wdgZCYvpncRTHgZil/5wWToTjcL54AXoZex4Y6J2VIbb3+IYnELdgFg2ZcpBomTaSVbXGQSBcrkKEFIpFJmY8bc5+HCDDzbKQfVijVTKhcnpnT7gEXUGfnADwwAI9DrMOCkdTM1vrWk2JZG8f+a8b5JJtJgHjeeOxvr3VrVAVyAs3PzJDW3dnN1Fiu8PGiBI0bjW75YdATvHjspTMbHuDPjuGWVAjSnsT5/oCCC2OKbHoqVHKQFlvwrxDx4UMPiXMdPChVAgMBAAGjgbowgbcwDgYDVR0PAQH/BAQDAgWgMAkGA1UdEwQCMAAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCMDsGA1UdEQQ0MDKGGGh0dHBzOi8vY29udG9zby5jb20vY2VydIcECgAAAYcQIAENuAAAAAAAAAAAAAAAATAfBgNVHSMEGDAWgBQW/XEIfxKQR/I9HRYjtH+y+B/wITAdBgNVHQ4EFgQUFv1xCH8SkEfyPR0WI7R/svgf8CEwDQYJKoZIhvcNAQELBQADggEBAEUDCTKK+iXEdc4GFKB00dSa1SYfe3DoqST/a/sfi5kl7L8guFuozlUe5CbXLkH2/RA9o63xtZE7CeZn8Th1TIODURvgsAIL/m/NH8pcq3NTz1p9zJaxpuEheMWNWZK8+6G06NSVFuoJ+5pp26FneKcvXzo2kccRM7qknx/eUCMV5I7btBCaBONhiqHdheng+uEtYgBc/hm2G2b5gRXXJxKoho/8Yk6UZUqTa9GoBKyzINM1uUKVPSHZZWgNsFSG7AhvXwlN1eFd6rn+r2fqhdXhEN6cF5FAL36ImPSSC4GDufOu5W3wMVFC3cH9gA0rXxFRY9jjF7tCW/58Qu7vML4=",
    "policy": {
      "key_props": {
        "exportable": true,
        "kty": "RSA",
        "key_size": 2048,
        "reuse_key": false
      },
      "secret_props": {
        "contentType": "application/x-pkcs12"
      },
      "x509_props": {
        "subject": "cn=MyCert",
        "sans": {
          "uris": [
            "https://contoso.com/cert"
          ],
          "ipAddresses": [
            "10.0.0.1",
            "2001:db8::1"
          ]
        },
        "ekus": [
          "1.3.6.1.5.5.7.3.1",
          "1.3.6.1.5.5.7.3.2"
        ],
        "key_usage": [
          "digitalSignature",
          "keyEncipherment"
        ],
        "validity_months": 12,
        "basic_constraints": {
          "ca": false
        }
      },
      "lifetime_actions": [
        {
          "trigger": {
            "lifetime_percentage": 80
          },
          "action": {
            "action_type": "AutoRenew"
          }
        }
      ],
      "issuer": {
        "name": "Self"
      }
    }
  },
  "merge": {
    "request": {
      "key_props": {},
      "secret_props": {},
      "x509_props": {
        "subject": "cn=MyCert",
        "sans": {}
      },
      "issuer": {
        "name": "Unknown",
        "cert_transparency": false
      },
      "attributes": {}
    },
    "csr": "MIICoTCCAYkCAQAwETEPMA0GA1UEAxMGTXlDZXJ0MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArUhwB+oOtPjKjBVRyLo6k8mJHQ58OCc0bhcBCMMxozPnxlHb4DdUu2TIo0u7BhlyN5em2BQjAc6d5krvund7a1YyaC0ByPVrQEjvwgbd8hebbBPUIG5eYnfTs0Zxk/t1JencCsqhmgU7otUhE0ZGe4hOzs+VVCuWeQobZanUvQ88wcWblNUJ3OeQ4NGrE7Nc5ohbfJ44QbtCDeMI5DFzsCnVP93nf7K6HlGH07hU87aj8YtrZ9gRvwPjerggTNHT+IgJfkq7HTb9UEDrvAYqQYlVqoKzv+UE9XlDmrCRj5cdHq/vLgy4Xlmufg9XxHtCTsD5675E9sG0KzS2YkGIBQIDAQABoEswSQYJKoZIhvcNAQkOMTwwOjAOBgNVHQ8BAf8EBAMCBaAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCMAkGA1UdEwQCMAAwDQYJKoZIhvcNAQELBQADggEBADfC8voBe4oId6I+w8Q+eMfZafIobt8R26lFmX08utju77MxFOrkuPr87K96925Tu9o+5S4o6FpplKGiKK3B6+VOoEmIjBHT0CM1eaA3uFsPlhiuM3wpS9tuKtcsxl9BFvUkb1B8k9AgmOKx7jsAZ95Kz2TLLAQc5F8qZqIGZVHyK4y2FJOTuSaxGlFU7JP+RFfxYPpgYN2pJxbZQQrV/rJXF2gMgukD2fz0ptTruUnKpcWQVB363lvIR/sOCXMbgG9l/dNuNAIRlLzec+IcCVaxILdU3SghqDC8n+Q/3+22JuQUm4D/fUIq23/S2v2hBEnr0gEzxcPbGR9pwKznl+g=",
    "x5c": [
      "TUlJREpqQ0NBZzZnQXdJQkFnSVVaSmdwUndIVGZndGQ4RFlnUlVVQkpjemNDUUF3RFFZSktvWklodmNOQVFFTEJRQXdSVEVMTUFrR0ExVUVCaE1DUVZVeEV6QVJCZ05WQkFnTUNsTnZiV1V0VTNSaGRHVXhJVEFmQmdOVkJBb01HRWx1ZEdWeWJtVjBJRmRwWkdkcGRITWdVSFI1SUV4MFpEQWVGdzB5TmpBME1EWXdNek0xTURCYUZ3MHlOakExTURZd016TTFNREJhTUJFeER6QU5CZ05WQkFNVEJrMTVRMlZ5ZERDQ0FTSXdEUVlKS29aSWh2Y05BUUVCQlFBRGdnRVBBRENDQVFvQ2dnRUJBSzFJY0FmcURyVDR5b3dWVWNpNk9wUEppUjBPZkRnbk5HNFhBUWpETWFNejU4WlIyK0EzVkx0a3lLTkx1d1laY2plWHB0Z1VJd0hPbmVaSzc3cDNlMnRXTW1ndEFjajFhMEJJNzhJRzNmSVhtMndUMUNCdVhtSjMwN05HY1pQN2RTWHAzQXJLb1pvRk82TFZJUk5HUm51SVRzN1BsVlFybG5rS0cyV3AxTDBQUE1IRm01VFZDZHpua09EUnF4T3pYT2FJVzN5ZU9FRzdRZzNqQ09ReGM3QXAxVC9kNTMreXVoNVJoOU80VlBPMm8vR0xhMmZZRWI4RDQzcTRJRXpSMC9pSUNYNUt1eDAyL1ZCQTY3d0dLa0dKVmFxQ3M3L2xCUFY1UTVxd2tZK1hIUjZ2N3k0TXVGNVpybjRQVjhSN1FrN0ErZXUrUlBiQnRDczB0bUpCaUFVQ0F3RUFBYU5DTUVBd0hRWURWUjBPQkJZRUZOMktIMXg1RDBCY0tLbENFUmpmdXp4cUovL3ZNQjhHQTFVZEl3UVlNQmFBRklxdklzdkdhbU55MWk5dWs1WWlaejVkajdOQU1BMEdDU3FHU0liM0RRRUJDd1VBQTRJQkFRQVJOVWFqR201THZOMWlEOEVkSDlXanVrNHFmN3k5VFUveU1vbGRvVmg5ay9SSWhpZWk3TUJMZjdYL3Q0aVlDNFZ4OXlESlB3Qk5ja1RrNFRhRUNPQjRxeTBKcWZnaTFRYzhnRklsWFFJaFlKM0svUXNEaVpCNDYrR2lDVnEvQSsrYzdIWC9YMktZOW4zUnY0RXNvSUpKWFpUdndXM254aEFhZ1FNdHo3QWlOR0NOdkVTNnFhV21Kb2VSWmsyZHFQa1RHQVR5K01INnd5aERqVDhOYVpxQlJTbkpWSjdJVXU3ZTUzUU8zNVlVdGdXbjNJb09wMnVNTXVrNk9Nd2ZneHJqWXZqN2dsYnBTdFJLOE9IZzJONWhHSktFSDhSY2QzTDZUaEdFTDhlOGdTbGUrR1pYMWpKR2NyZzJ0SzJtQnVVeDd5dnlrNWxhcEw1cFNQN1NjWHBJLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQ=="
    ],
    "cer": "MIIDJjCCAg6gAwIBAgIUZJgpRwHTfgtd8DYgRUUBJczcCQAwDQYJKoZIhvcNAQELBQAwRTELMAkGA1UEBhMCQVUxEzARBgNVBAgMClNvbWUtU3RhdGUxITAfBgNVBAoMGEludGVybmV0IFdpZGdpdHMgUHR5IEx0ZDAeFw0yNjA0MDYwMzM1MDBaFw0yNjA1MDYwMzM1MDBaMBExDzANBgNVBAMTBk15Q2VydDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAK1IcAfqDrT4yowVUci6OpPJiR0OfDgnNG4XAQjDMaMz58ZR2+A3VLtkyKNLuwYZcjeXptgUIwHOneZK77p3e2tWMmgtAcj1a0BI78IG3fIXm2wT1CBuXmJ307NGcZP7dSXp3ArKoZoFO6LVIRNGRnuITs7PlVQrlnkKG2Wp1L0PPMHFm5TVCdznkODRqxOzXOaIW3yeOEG7Qg3jCOQxc7Ap1T/d53+yuh5Rh9O4VPO2o/GLa2fYEb8D43q4IEzR0/iICX5Kux02/VBA67wGKkGJVaqCs7/lBPV5Q5qwkY+XHR6v7y4MuF5Zrn4PV8R7Qk7A+eu+RPbBtCs0tmJBiAUCAwEAAaNCMEAwHQYDVR0OBBYEFN2KH1x5D0BcKKlCERjfuzxqJ//vMB8GA1UdIwQYMBaAFIqvIsvGamNy1i9uk5YiZz5dj7NAMA0GCSqGSIb3DQEBCwUAA4IBAQARNUajGm5LvN1iD8EdH9Wjuk4qf7y9TU/yMoldoVh9k/RIhiei7MBLf7X/t4iYC4Vx9yDJPwBNckTk4TaECOB4qy0Jqfgi1Qc8gFIlXQIhYJ3K/QsDiZB46+GiCVq/A++c7HX/X2KY9n3Rv4EsoIJJXZTvwW3nxhAagQMtz7AiNGCNvES6qaWmJoeRZk2dqPkTGATy+MH6wyhDjT8NaZqBRSnJVJ7IUu7e53QO35YUtgWn3IoOp2uMMuk6OMwfgxrjYvj7glbpStRK8OHg2N5hGJKEH8Rcd3L6ThGEL8e8gSle+GZX1jJGcrg2tK2mBuUx7yvyk5lapL5pSP7ScXpI",
    "x5t": "Ldz-qZIAW5oZeZMNaypJrfTDwhU",
    "policy": {
      "key_props": {
        "exportable": true,
        "kty": "RSA",
        "key_size": 2048,
        "reuse_key": false
      },
      "secret_props": {
        "contentType": "application/x-pkcs12"
      },
      "x509_props": {
        "subject": "cn=MyCert",
        "sans": {},
        "ekus": [
          "1.3.6.1.5.5.7.3.1",
          "1.3.6.1.5.5.7.3.2"
        ],
        "key_usage": [
          "digitalSignature",
          "keyEncipherment"
        ],
        "validity_months": 12,
        "basic_constraints": {
          "ca": false
        }
      },
      "lifetime_actions": [
        {
          "trigger": {
            "lifetime_percentage": 80
          },
          "action": {
            "action_type": "EmailContacts"
          }
        }
      ],
      "issuer": {
        "name": "Unknown",
        "cert_transparency": false
      }
    }
  },
  "example": {
    "request": {
      "key_props": {
        "exportable": true,
        "kty": "RSA",
        "key_size": 2048,
        "reuse_key": false
      },
      "secret_props": {
        "contentType": "application/x-pkcs12"
      },
      "x509_props": {
        "subject": "CN=*.microsoft.com",
        "sans": {
          "dns_names": [
            "onedrive.microsoft.com",
            "xbox.microsoft.com"
          ]
        }
      },
      "issuer": {
        "name": "Self"
      }
    },
    "csr": "MIIC4zCCAcsCAQAwGjEYMBYGA1UEAwwPKi5taWNyb3NvZnQuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqe8aINnShK+wQC8QU7fwsviQc9+yiOnqU3adXA6qNjn21HTdRBa7cyQIk1STxHIBLTT/GaEJwqsUi6UvZaPEHokOWsr1bP9M7xOPTicBcRyMrr6bOxsmGczYtu1z2TzzXDD7q7IEignE7/LowGEaIADCIU9iuWk7TiJ+1Q/VLh/B3xPsgVjY+n7zEQ53gBiDHSl7XfELfwmslOQ28TVNogUyXsxHcVxQQYJeI7HqqY448LeleK69Ld86lkBixLEm1pD7HSbEx3WI2lyUQAGR6hD3YFaiIWVpQeEyI7p1jmtQlnfZdEL4q9wdlEEcwd3h3PAZpEBhCixahF54fci3pwIDAQABoIGDMIGABgkqhkiG9w0BCQ4xczBxMA4GA1UdDwEB/wQEAwIFoDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwNQYDVR0RBC4wLIIWb25lZHJpdmUubWljcm9zb2Z0LmNvbYISeGJveC5taWNyb3NvZnQuY29tMAkGA1UdEwQCMAAwDQYJKoZIhvcNAQELBQADggEBACiLeghirF+yCuYGVUPDB3wKQJn2iLY1za9ncxCehIVqOkFK09AphzoxF6Yid90AKCaa/dT/Ohm7oTyVQ+YcZnT00LUNFVG48AOE8YDiw9tjAG9OORsAz80xnv2qaLw2TCVIQ6NjrI83LqAm1GJ8rAnpdD/ZTuWM7TvSO5g/jm/Q0oSuKpMgj3YxpwgB9Ac6YEfVzOnm76OkUcpvR5MS4BoTfRv4thdSnU+uwqxM+HtdSVTbHQeC2U/hM1cyzDMpl1rZRklmiEOoPUeDasEIBVTJhAxR8xAeKJJD7Wzj4mJPw4UMvF8zQZzW8EKYvB1hkVYY+HQ85L+XcXd8lco7hU4="
  }
}

import { execFileSync } from 'node:child_process'
import { createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  BadParameterError,
  certificateFacts,
  completePolicy,
  createCsr,
  importCertificate,
  issueSelfSigned,
  mergeCertificate,
  Messages,
  readPem,
  writePem,
  type CertificatePolicy,
} from '../../src/emulator/certificates/x509.js'
import { at, decode, isContext, items, readOid } from '../../src/emulator/certificates/x509-der.js'

const der = (b64: string): Buffer => Buffer.from(b64, 'base64')

/** Each extension of a DER certificate, as its full DER encoding, by OID. */
function certExtensions(cert: Buffer): Map<string, Buffer> {
  const tbs = items(at(items(decode(cert)), 0))
  const wrapper = tbs.find((n) => isContext(n, 3))
  return new Map(items(at(wrapper?.children ?? [], 0)).map((e) => [readOid(at(items(e), 0)), e.raw]))
}

/** The DER of a certificate's subject and issuer Names and its signature AlgorithmIdentifier. */
function certNames(cert: Buffer): { issuer: Buffer; subject: Buffer; algorithm: Buffer } {
  const tbs = items(at(items(decode(cert)), 0))
  return { algorithm: at(tbs, 2).raw, issuer: at(tbs, 3).raw, subject: at(tbs, 5).raw }
}

/** The DER of a CSR's subject Name and its attributes ([0]: the extension request). */
function csrParts(csr: Buffer): { subject: Buffer; attributes: Buffer } {
  const info = items(at(items(decode(csr)), 0))
  return { subject: at(info, 1).raw, attributes: at(info, 3).raw }
}

/** The public key of a DER CSR, read by the openssl CLI. */
function csrPublicKey(csr: Buffer): KeyObject {
  return createPublicKey(execFileSync('openssl', ['req', '-inform', 'DER', '-pubkey', '-noout'], { input: csr }))
}

function withoutAttributes(p: CertificatePolicy): CertificatePolicy {
  const { attributes: _attributes, ...rest } = p
  return rest
}

function badParameter(fn: () => unknown): BadParameterError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(BadParameterError)
    return err as BadParameterError
  }
  throw new Error('expected a BadParameterError')
}

let rsa: KeyObject

beforeAll(() => {
  rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
})

describe('certificate facts of the service\'s certificates', () => {
  it.each([
    ['self-signed (PEM secret)', RECORDED.pem.cer, RECORDED.pem.x5t, RECORDED.pem.attributes],
    ['imported', RECORDED.imported.cer, RECORDED.imported.x5t, RECORDED.imported.attributes],
  ])('%s: x5t, nbf and exp are what the service reported', (_name, cer, x5t, attributes) => {
    const facts = certificateFacts(der(cer))
    expect(facts.x5t).toBe(x5t)
    expect(facts.cer).toBe(cer)
    expect(facts.nbf).toBe(attributes.nbf)
    expect(facts.exp).toBe(attributes.exp)
    expect(facts.subject).toBe('CN=MyCert')
  })

  it('reads the SANs of a certificate the service issued with URI and IP names', () => {
    expect(certificateFacts(der(RECORDED.sans.cer)).sans).toEqual(RECORDED.sans.request.x509_props.sans)
  })
})

describe('policies', () => {
  it.each([
    ['self-signed, PEM', RECORDED.pem.request, RECORDED.pem.policy],
    ['self-signed with URI and IP SANs', RECORDED.sans.request, RECORDED.sans.policy],
    ['issuer Unknown', RECORDED.merge.request, RECORDED.merge.policy],
  ])('%s: completePolicy fills in what the service filled in', (_name, request, stored) => {
    expect(withoutAttributes(completePolicy(request as CertificatePolicy))).toEqual(stored)
  })

  it('is idempotent', () => {
    const once = completePolicy(RECORDED.sans.request as CertificatePolicy)
    expect(completePolicy(once)).toEqual(once)
  })
})

describe('issuance laid out as the service lays it out', () => {
  it('gives the validity window the service gave at the same clock time', () => {
    const cert = issueSelfSigned({ policy: RECORDED.pem.request as CertificatePolicy, key: rsa, now: RECORDED.pem.attributes.created * 1000 })
    const facts = certificateFacts(cert)
    expect(facts.nbf).toBe(RECORDED.pem.attributes.nbf)
    expect(facts.exp).toBe(RECORDED.pem.attributes.exp)
  })

  it('encodes names, signature algorithm and the KU, basic constraints, EKU and SAN extensions byte for byte as the service did', () => {
    const ours = issueSelfSigned({ policy: RECORDED.sans.request as CertificatePolicy, key: rsa, now: Date.now() })
    const theirs = der(RECORDED.sans.cer)
    expect(certNames(ours)).toEqual(certNames(theirs))
    const a = certExtensions(ours)
    const b = certExtensions(theirs)
    expect([...a.keys()]).toEqual([...b.keys()])
    for (const oid of ['2.5.29.15', '2.5.29.19', '2.5.29.37', '2.5.29.17']) expect(a.get(oid)?.toString('hex'), oid).toBe(b.get(oid)?.toString('hex'))
  })

  it.each([
    ['no SANs, PEM', RECORDED.pem.request, RECORDED.pem.csr],
    ['URI and IP SANs', RECORDED.sans.request, RECORDED.sans.csr],
    ['spec example: wildcard CN (UTF8String) and DNS SANs', RECORDED.example.request, RECORDED.example.csr],
  ])('CSR (%s): subject and requested extensions byte for byte as the service made them', (_name, request, csr) => {
    const ours = csrParts(createCsr({ policy: request as CertificatePolicy, key: rsa }))
    const theirs = csrParts(der(csr))
    expect(ours.subject.toString('hex')).toBe(theirs.subject.toString('hex'))
    expect(ours.attributes.toString('hex')).toBe(theirs.attributes.toString('hex'))
  })
})

describe("the service's secrets", () => {
  it('reads the PEM secret and writes the same text back from its key and certificate', () => {
    const { keys, certs } = readPem(RECORDED.pem.secret.value)
    expect(keys).toHaveLength(1)
    expect(certs.map((c) => c.toString('base64'))).toEqual([RECORDED.pem.cer])
    expect(new X509Certificate(der(RECORDED.pem.cer)).checkPrivateKey(keys[0] as KeyObject)).toBe(true)
    expect(writePem({ key: keys[0] as KeyObject, chain: certs })).toBe(RECORDED.pem.secret.value)
  })

  it('imports the PEM secret as a PEM certificate', () => {
    const imported = importCertificate({ value: RECORDED.pem.secret.value, policy: { secret_props: { contentType: 'application/x-pem-file' } } })
    expect(imported.leaf.x5t).toBe(RECORDED.pem.x5t)
    expect(imported.contentType).toBe('application/x-pem-file')
    expect(imported.policy.secret_props.contentType).toBe('application/x-pem-file')
  })

  it("imports the service's own PFX secret and derives the policy the service derived", () => {
    const imported = importCertificate({ value: RECORDED.imported.pfx })
    expect(imported.chain.map((c) => c.toString('base64'))).toEqual([RECORDED.imported.cer])
    expect(imported.leaf.x5t).toBe(RECORDED.imported.x5t)
    expect(new X509Certificate(imported.chain[0] as Buffer).checkPrivateKey(imported.key)).toBe(true)
    expect(imported.policy).toEqual(RECORDED.imported.policy)
  })

  it('refuses the PFX with a password it does not have', () => {
    expect(badParameter(() => importCertificate({ value: RECORDED.imported.pfx, password: 'not-the-password' })).message).toBe(Messages.pfxUnreadable)
  })
})

describe('merge of the SDK test\'s x5c', () => {
  it('accepts base64 of PEM text and finds the leaf by the pending public key', () => {
    const merged = mergeCertificate(RECORDED.merge.x5c as unknown as string[], csrPublicKey(der(RECORDED.merge.csr)))
    expect(merged.chain.map((c) => c.toString('base64'))).toEqual([RECORDED.merge.cer])
    expect(merged.leaf.x5t).toBe(RECORDED.merge.x5t)
  })

  it('refuses it for another pending key pair', () => {
    const err = badParameter(() => mergeCertificate(RECORDED.merge.x5c as unknown as string[], csrPublicKey(der(RECORDED.pem.csr))))
    expect(err.message).toBe(Messages.mergeNoLeaf)
    expect(err.status).toBe(400)
    expect(err.keyVaultCode).toBe('BadParameter')
  })
})
