// Sends one message with Jakarta Mail and mail.debug=true, the way the seed's author learnt
// the SMTP conversation. Arguments: host port
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;

public class SendOne {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.put("mail.smtp.host", args[0]);
        properties.put("mail.smtp.port", args[1]);
        properties.put("mail.smtp.localhost", "client.example.com");
        properties.put("mail.debug", "true");
        Session session = Session.getInstance(properties);
        session.setDebugOut(System.out);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("alice@example.com"));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress("bob@example.com"));
        message.setSubject("plain");
        message.setText("A line.\n.A line that starts with a dot.\n");
        Transport.send(message);
    }
}
